/**
 * Streaming splitter for concatenated JSON texts (RFC 7047 §3: JSON-RPC over a
 * stream with no framing). Feeds bytes; yields each complete top-level object or
 * array as soon as its closing bracket arrives. Scans bytes (brackets and quotes are
 * ASCII, so multi-byte UTF-8 never confuses it) and remembers its state across
 * chunks, so a large message split over many reads is scanned once.
 */

/** The peer sent bytes that are not a sequence of JSON objects/arrays. */
export class JsonStreamError extends Error {}

/** Incremental splitter; one instance per connection. Throws JsonStreamError on garbage. */
export class JsonStream {
  private parts: Buffer[] = [];
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Max bytes of one JSON value; a peer sending more is broken or hostile. */
  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}
  private size = 0;

  /** Feed one chunk; returns the values completed by it, in order. */
  push(chunk: Buffer): unknown[] {
    const out: unknown[] = [];
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 0x5c) this.escape = true;
        else if (c === 0x22) this.inString = false;
        continue;
      }
      if (c === 0x22) {
        if (this.depth === 0) throw new JsonStreamError('top-level JSON value must be an object or array');
        this.inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        if (this.depth === 0) start = i;
        this.depth++;
      } else if (c === 0x7d || c === 0x5d) {
        if (this.depth === 0) throw new JsonStreamError(`unexpected '${String.fromCharCode(c)}' between JSON values`);
        this.depth--;
        if (this.depth === 0) {
          this.parts.push(chunk.subarray(start, i + 1));
          const text = (this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts)).toString('utf8');
          this.parts = [];
          this.size = 0;
          start = -1;
          try {
            out.push(JSON.parse(text));
          } catch (e) {
            throw new JsonStreamError(`invalid JSON from peer: ${(e as Error).message}`);
          }
        }
      } else if (this.depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        throw new JsonStreamError(`unexpected byte 0x${c.toString(16)} between JSON values`);
      }
    }
    if (this.depth > 0 && start >= 0) {
      const rest = chunk.subarray(start);
      this.size += rest.length;
      if (this.size > this.maxBytes) throw new JsonStreamError(`JSON value larger than ${this.maxBytes} bytes`);
      this.parts.push(rest);
    }
    return out;
  }
}
