/**
 * Test helper: a writable stream that keeps what was written.
 */
import { Writable } from 'node:stream';

/** In-memory writable; `text` holds everything written. */
export class MemoryStream extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.text += chunk.toString();
    cb();
  }
}
