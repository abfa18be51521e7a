import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnArgv } from '../../../src/host/local.js';
import {
  changedHostKey, classify, fingerprintOf, normalizeFingerprint, unknownHostKey, SshConnectError,
} from '../../../src/host/ssh-errors.js';
import { SshExec } from '../../../src/host/ssh.js';
import { binarySkipReason, skipUnless } from '../../helpers/env.js';

const ep = { host: 'vps.example', port: 2202, user: 'root' };

(skipUnless(binarySkipReason('ssh-keygen')) ? test.skip : test)('fingerprintOf matches ssh-keygen -lf for ed25519 and rsa keys', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prfp-'));
  try {
    for (const type of ['ed25519', 'rsa']) {
      const f = path.join(dir, type);
      await spawnArgv('local', ['ssh-keygen', '-q', '-t', type, '-N', '', '-f', f]);
      const blob = Buffer.from(readFileSync(`${f}.pub`, 'utf8').split(' ')[1]!, 'base64');
      const want = (await spawnArgv('local', ['ssh-keygen', '-lf', `${f}.pub`])).stdout.split(' ')[1];
      t.is(fingerprintOf(blob), want);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('normalizeFingerprint accepts the ssh-keygen form (with or without padding) only', (t) => {
  const fp = 'SHA256:' + 'A'.repeat(43);
  t.is(normalizeFingerprint(fp), fp);
  t.is(normalizeFingerprint(fp + '='), fp);
  t.is(normalizeFingerprint('  ' + fp + '\n'), fp);
  t.is(normalizeFingerprint('MD5:aa:bb'), null);
  t.is(normalizeFingerprint('SHA256:short'), null);
  t.is(normalizeFingerprint('A'.repeat(43)), null);
});

test('host key errors name both fingerprints and how to pin', (t) => {
  const seen = 'SHA256:' + 'S'.repeat(43);
  const exp = 'SHA256:' + 'E'.repeat(43);
  const c = changedHostKey(ep, seen, exp);
  t.true(c.message.includes(seen) && c.message.includes(exp));
  t.regex(c.message, /vps\.example:2202/);
  t.true(c.hint!.includes('ssh-keyscan -p 2202 vps.example | ssh-keygen -lf -'));
  const u = unknownHostKey(ep, seen);
  t.true(u.message.includes(seen));
  t.true(u.hint!.includes(`vps.ssh.host_key = "${seen}"`));
  t.is(u.kind, 'hostkey-unknown');
});

test('classify maps socket and ssh2 failures to kinds with host and port', (t) => {
  const k = (e: Error & { level?: string; code?: string }, stderr = '') => classify(ep, e, '/k', stderr);
  t.is(k(Object.assign(new Error('connect ECONNREFUSED 1.2.3.4:2202'), { code: 'ECONNREFUSED', level: 'client-socket' })).kind, 'refused');
  t.is(k(Object.assign(new Error('connect EHOSTUNREACH'), { code: 'EHOSTUNREACH', level: 'client-socket' })).kind, 'unreachable');
  t.is(k(Object.assign(new Error('getaddrinfo ENOTFOUND vps.example'), { code: 'ENOTFOUND' })).kind, 'unreachable');
  t.is(k(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' })).kind, 'timeout');
  const auth = k(Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }));
  t.is(auth.kind, 'auth');
  t.regex(auth.message, /user root with the key in \/k/);
  t.is(k(new Error('closed'), 'relay: connect to x port 22: connect ECONNREFUSED').kind, 'refused');
  t.is(k(new Error('closed'), 'ip: command failed').kind, 'proxy');
  for (const e of [auth]) t.regex(e.message, /vps\.example:2202/);
});

test('SshExec refuses a malformed pin at construction', (t) => {
  t.throws(() => new SshExec({ host: 'h', user: 'u', keyFile: '/k', hostKey: 'MD5:00' }), { instanceOf: SshConnectError, message: /not a SHA256 fingerprint/ });
});
