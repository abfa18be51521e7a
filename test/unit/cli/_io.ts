/**
 * Test helper: in-memory stdout/stderr for driving the CLI in-process.
 */
import { Writable } from 'node:stream';
import type { CliIo } from '../../../src/cli/context.js';

/** A writable that keeps everything written to it. */
export class MemoryStream extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** Fresh IO with memory streams and the given environment. */
export function memoryIo(env: NodeJS.ProcessEnv = {}): CliIo & { out: MemoryStream; err: MemoryStream } {
  return { out: new MemoryStream(), err: new MemoryStream(), env };
}
