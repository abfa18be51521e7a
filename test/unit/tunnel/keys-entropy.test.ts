/**
 * Issue 11 item 14: wireguard-tools.js (addons/genKey/wgkeys.cpp) falls back to
 * `std::mt19937 * rand()` when getentropy() fails, silently returning keys from a
 * non-cryptographic RNG. privroute generates keys with Node's crypto (OpenSSL's
 * DRBG, which refuses to start without entropy rather than degrade).
 *
 * The fault is real: a preloaded getentropy() (built here with gcc) that fails
 * once armed. The test fails if any key generator consults it and still returns.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { binarySkipReason, skipUnless } from '../../helpers/env.js';
import { isKeyB64, publicKeyOf } from '../../../src/tunnel/keys.js';

const skip = skipUnless(binarySkipReason('gcc'));
const CHILD = fileURLToPath(new URL('./_entropy-child.ts', import.meta.url));
const SHIM = `#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
int getentropy(void *b, size_t n) {
  if (getenv("PR_GETENTROPY_FAIL")) { write(2, "[getentropy failed]\\n", 20); errno = EIO; return -1; }
  return syscall(SYS_getrandom, b, n, 0) == (long)n ? 0 : -1;
}
`;

test('with getentropy() failing, no key generator falls back to a weak RNG (keys come from Node crypto)', (t) => {
  if (skip) return t.pass();
  const dir = mkdtempSync(path.join(tmpdir(), 'prentropy-'));
  try {
    writeFileSync(path.join(dir, 'ge.c'), SHIM);
    const cc = spawnSync('gcc', ['-shared', '-fPIC', '-o', path.join(dir, 'ge.so'), path.join(dir, 'ge.c')], { encoding: 'utf8' });
    t.is(cc.status, 0, cc.stderr);
    const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD], { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: path.join(dir, 'ge.so') } });
    t.regex(r.stderr, /\[armed\]/, 'the fault was armed');
    const after = r.stderr.slice(r.stderr.indexOf('[armed]'));
    t.false(after.includes('[getentropy failed]'), 'a key generator consulted the failing getentropy() (and fell back to mt19937*rand)');
    t.is(r.status, 0, r.stderr);
    const keys = JSON.parse(r.stdout) as { pair: { privateKey: string; publicKey: string }; psk: string; client: { privateKey: string; publicKey: string; presharedKey: string } }[];
    const all = keys.flatMap((k) => [k.pair.privateKey, k.psk, k.client.privateKey, k.client.presharedKey]);
    t.true(all.every(isKeyB64));
    t.is(new Set(all).size, all.length, 'every key distinct');
    for (const k of keys) t.is(publicKeyOf(k.pair.privateKey), k.pair.publicKey);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
