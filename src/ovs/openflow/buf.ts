/**
 * Minimal growable big-endian byte writer and bounds-checked reader used by the
 * OpenFlow codec. Hand-rolled (not DataView per field) because encoding 50k flow
 * mods must stay far below the switch's own processing time.
 */

/** Growable big-endian writer. `finish()` returns a view of the written bytes. */
export class Writer {
  buf: Buffer;
  off = 0;
  constructor(size = 512) {
    this.buf = Buffer.allocUnsafe(size);
  }
  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.off++] = v & 0xff;
  }
  // Manual byte stores: Buffer.write*BE's range checks dominate when encoding 50k flows.
  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    b[this.off] = (v >>> 8) & 0xff;
    b[this.off + 1] = v & 0xff;
    this.off += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const o = this.off;
    b[o] = (v >>> 24) & 0xff;
    b[o + 1] = (v >>> 16) & 0xff;
    b[o + 2] = (v >>> 8) & 0xff;
    b[o + 3] = v & 0xff;
    this.off += 4;
  }
  u64(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.u32(Number(u >> 32n));
    this.u32(Number(u & 0xffffffffn));
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
  }
  zero(n: number): void {
    this.ensure(n);
    const b = this.buf;
    for (let i = 0; i < n; i++) b[this.off + i] = 0;
    this.off += n;
  }
  /** Zero-pad so that (off - start) is a multiple of 8. */
  pad8(start: number): void {
    const rem = (this.off - start) % 8;
    if (rem) this.zero(8 - rem);
  }
  patch16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }
  patch32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at);
  }
  /** The bytes written so far (shares memory with the writer until it grows). */
  finish(): Buffer {
    return this.buf.subarray(0, this.off);
  }
}

/** Thrown on truncated or inconsistent input; the connection maps it to a protocol error. */
export class DecodeError extends Error {}

/** Bounds-checked big-endian reader over one message or sub-structure. */
export class Reader {
  constructor(
    readonly buf: Buffer,
    public off = 0,
    readonly end = buf.length,
  ) {}
  need(n: number): void {
    if (this.off + n > this.end) throw new DecodeError(`truncated: need ${n} bytes at offset ${this.off}, have ${this.end - this.off}`);
  }
  get left(): number {
    return this.end - this.off;
  }
  u8(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.off);
    this.off += 8;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
  skip(n: number): void {
    this.need(n);
    this.off += n;
  }
  /** A sub-reader over the next `n` bytes; advances this reader past them. */
  sub(n: number): Reader {
    this.need(n);
    const r = new Reader(this.buf, this.off, this.off + n);
    this.off += n;
    return r;
  }
}
