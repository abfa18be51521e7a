import test from 'ava';
import { PctExec, octal } from '../../../src/host/pct.js';
import { ExecError } from '../../../src/host/exec.js';
import { REST } from '../../../src/host/fake.js';
import { pctNode } from './pct-model.js';

test('octal renders pct --perms', (t) => {
  t.is(octal(0o600), '0600');
  t.is(octal(0o644), '0644');
  t.is(octal(0o4755), '04755');
});

test('run: pct exec <vmid> -- argv, argv untouched, env as env K=V, stdin passed', async (t) => {
  const node = pctNode({ 100: { running: true } });
  node.on(['pct', 'exec', '100', '--', REST], ({ captures, stdin }) => JSON.stringify({ captures, stdin: stdin?.toString() }));
  const pct = new PctExec(100, { node });
  const r = await pct.run(['printf', '%s', "a'b $(x)"], { env: { K: 'v' }, stdin: 'in' });
  t.deepEqual(JSON.parse(r.stdout), { captures: ['env', 'K=v', 'printf', '%s', "a'b $(x)"], stdin: 'in' });
  t.is(pct.target, 'pct:100');
  node.assertDone();
});

test('run: failures are ExecErrors on pct:<vmid> with the caller argv, secrets masked', async (t) => {
  const node = pctNode({ 100: { running: true } });
  node.on(['pct', 'exec', '100', '--', 'wg', 'set', REST], () => ({ code: 2, stderr: 'bad key' }));
  const e = await t.throwsAsync(new PctExec(100, { node }).run(['wg', 'set', 'SECRET'], { secretArgs: [2] }), { instanceOf: ExecError });
  t.is(e!.target, 'pct:100');
  t.deepEqual(e!.argv, ['wg', 'set', '<redacted>']);
  t.is(e!.status, 2);
  t.is(e!.stderr, 'bad key');
  t.false(e!.message.includes('SECRET'));
  t.false(node.runs().flat().includes('SECRET')); // masked in the node's record too
});

test('writeFile: staged 0600 on the node, pushed with the final mode, renamed in place, staging removed', async (t) => {
  const node = pctNode({ 100: { running: true } });
  const ct = node.state.cts.get(100)!;
  await new PctExec(100, { node, tmpDir: '/run/pr' }).writeFile('/etc/wireguard/wg0.conf', 'PrivateKey = k\n', 0o600);
  t.deepEqual([...ct.files.keys()], ['/etc/wireguard/wg0.conf']);
  t.is(ct.files.get('/etc/wireguard/wg0.conf')!.mode, 0o600);
  t.is(ct.files.get('/etc/wireguard/wg0.conf')!.content.toString(), 'PrivateKey = k\n');
  t.deepEqual(ct.pushedFromMode, [0o600]);
  t.is(node.files.size, 0, 'node-side staging file removed');
  const runs = node.runs();
  const push = runs.find((a) => a[1] === 'push')!;
  t.regex(push[3]!, /^\/run\/pr\/\.privroute-pct-push\.[0-9a-f]{12}\.tmp$/);
  t.regex(push[4]!, /^\/etc\/wireguard\/\.wg0\.conf\.[0-9a-f]{12}\.tmp$/); // same dir → rename is atomic
  t.deepEqual(push.slice(5), ['--perms', '0600']);
  t.deepEqual(runs.find((a) => a.includes('mv'))!.slice(4), ['mv', '-f', push[4], '/etc/wireguard/wg0.conf']);
});

test('writeFile: a failed push leaves nothing behind and reports pct:<vmid>', async (t) => {
  const node = pctNode({ 100: { running: false } });
  const e = await t.throwsAsync(new PctExec(100, { node }).writeFile('/etc/x', 'x', 0o600), { instanceOf: ExecError });
  t.is(e!.target, 'pct:100');
  t.regex(e!.message, /can only push files to a running CT/);
  t.is(node.files.size, 0);
});

// Issue 11 item 13: pct creates the destination before copying, so a failed copy leaves it behind.
test('writeFile: a push that fails mid-copy leaves no temp file in the container or on the node', async (t) => {
  const node = pctNode({ 100: { running: true, pushFailsMidCopy: true } });
  const ct = node.state.cts.get(100)!;
  const e = await t.throwsAsync(new PctExec(100, { node }).writeFile('/etc/wireguard/wg0.conf', 'PrivateKey = k\n', 0o600), { instanceOf: ExecError });
  t.regex(e!.message, /No space left on device/);
  t.deepEqual([...ct.files.keys()], [], 'the half-copied temp file is removed inside the container');
  t.is(node.files.size, 0, 'node-side staging file removed');
});

test('readFile: pct pull into a 0600 staging file, removed afterwards', async (t) => {
  const node = pctNode({ 100: { running: true, files: new Map([['/etc/hostname', { content: Buffer.from('gw\n'), mode: 0o644 }]]) } });
  const pct = new PctExec(100, { node });
  t.is((await pct.readFile('/etc/hostname')).toString(), 'gw\n');
  t.deepEqual(node.runs().find((a) => a[1] === 'pull')!.slice(5), ['--perms', '0600']);
  t.is(node.files.size, 0);
  const e = await t.throwsAsync(pct.readFile('/nope'), { instanceOf: ExecError });
  t.is(e!.target, 'pct:100');
});

test('rejects a vmid Proxmox would not accept', (t) => {
  const node = pctNode();
  t.throws(() => new PctExec(99, { node }));
  t.throws(() => new PctExec(1.5, { node }));
});
