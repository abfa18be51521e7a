/**
 * 50 `privroute add-client` processes started at once, through the real CLI
 * entry, on one store: 50 distinct addresses and 50 rows (the allocation runs in
 * a BEGIN IMMEDIATE transaction). No root needed: the interface does not exist,
 * so every process stores its client and defers the peer (exit 0, warning).
 * Also: a duplicate name among concurrent processes — exactly one wins.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnArgv } from '../../../src/host/local.js';
import { StateStore } from '../../../src/state/store.js';

const REPO = path.resolve(new URL('../../..', import.meta.url).pathname);
const dir = mkdtempSync(path.join(tmpdir(), 'pr-conc-'));
const stateDir = path.join(dir, 'state');
const cfgFile = path.join(dir, 'config.json');

test.before(() => {
  const md = readFileSync('/work/shared/seeds/privacy-router-tunnel.md', 'utf8');
  const json = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(md)![1]!);
  Object.assign(json.plugins.privacy_router.wireguard, { interface: `prc${process.pid % 100000}`, subnet: '10.98.0.0/24', endpoint: 'vpn.example.com:51820' });
  writeFileSync(cfgFile, JSON.stringify(json));
  StateStore.open(stateDir, { create: true }).close();
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) =>
  spawnArgv('local', ['node', '--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), '--config', cfgFile, '--state-dir', stateDir, '--json', ...args], {
    okCodes: [0, 1, 2],
    timeoutMs: 170_000,
    // Every add-client holds the state lock for its body: 50 of them queue; wait as long as the test allows.
    env: { PRIVROUTE_WG_SOCKET_DIR: path.join(dir, 'no-sockets'), PRIVROUTE_LOCK_WAIT: '170' },
  });

test.serial('50 concurrent add-client processes: 50 distinct addresses, 50 rows', async (t) => {
  const names = Array.from({ length: 50 }, (_, i) => `c${i}`);
  const results = await Promise.all(names.map((n) => cli('add-client', n)));
  for (const r of results) t.is(r.code, 0, r.stderr);
  if (results.some((r) => r.code !== 0)) return;
  const out = results.map((r) => JSON.parse(r.stdout) as { name: string; address4: string; applied: string });
  t.true(out.every((o) => o.applied === 'deferred'));
  t.is(new Set(out.map((o) => o.address4)).size, 50);
  const s = StateStore.open(stateDir);
  try {
    const rows = s.db.prepare('SELECT name, address4 FROM clients').all() as Array<{ name: string; address4: string }>;
    t.is(rows.length, 50);
    t.is(new Set(rows.map((r) => r.address4)).size, 50);
    // Dense: exactly .2 .. .51.
    t.deepEqual(rows.map((r) => Number(r.address4.split('.')[3])).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 2));
  } finally {
    s.close();
  }
});

test.serial('the same name from 6 concurrent processes: exactly one is stored, the others exit 2', async (t) => {
  const results = await Promise.all(Array.from({ length: 6 }, () => cli('add-client', 'dup')));
  t.deepEqual(results.map((r) => r.code).sort(), [0, 2, 2, 2, 2, 2], results.map((r) => `${r.code}: ${r.stderr}`).join('\n'));
  const s = StateStore.open(stateDir);
  try {
    t.is((s.db.prepare("SELECT COUNT(*) AS c FROM clients WHERE name = 'dup'").get() as { c: number }).c, 1);
  } finally {
    s.close();
  }
});

test.serial('hostile names through the CLI: exit 2, no row', async (t) => {
  for (const n of ['a b', 'x;id', '$(id)', 'ÄBC', '', 'a'.repeat(33)]) {
    const r = await cli('add-client', n);
    t.is(r.code, 2, `${JSON.stringify(n)}: ${r.stderr}`);
  }
  const s = StateStore.open(stateDir);
  try {
    t.is((s.db.prepare('SELECT COUNT(*) AS c FROM clients').get() as { c: number }).c, 51);
  } finally {
    s.close();
  }
});

test.serial('a missing store is an error with a recovery hint, and is not created', async (t) => {
  const r = await spawnArgv('local', ['node', '--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), '--config', cfgFile, '--state-dir', path.join(dir, 'none'), 'add-client', 'x'], { okCodes: [0, 1, 2] });
  t.is(r.code, 1);
  t.regex(r.stderr, /privroute init/);
  t.throws(() => StateStore.open(path.join(dir, 'none')));
});
