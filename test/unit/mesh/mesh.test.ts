import test from 'ava';
import { InputError } from '../../../src/core/errors.js';
import { encodeEnrollmentToken, parseEnrollmentToken } from '../../../src/mesh/token.js';
import { parseWgDump } from '../../../src/health/mesh.js';
import { meshNodeNet } from '../../../src/mesh/bridge.js';
import { planMesh } from '../../../src/mesh/component.js';
import { planNet, planNetRemoval, type NetObserved } from '../../../src/net/reconcile.js';
import { ruleComment, ruleId } from '../../../src/net/netfilter.js';

const KEY = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345';
const b64 = (s: string) => Buffer.from(s).toString('base64');

test('a well-formed token decodes to server and value', (t) => {
  const raw = encodeEnrollmentToken('api.nm.example.com', KEY);
  t.like(parseEnrollmentToken(`${raw}\n`, 'f'), { server: 'api.nm.example.com', value: KEY, raw });
});

const bad: [string, string, RegExp][] = [
  ['empty', '', /the file is empty/],
  ['not base64', 'not a token!', /standard base64/],
  ['not JSON', b64('hello world'), /not JSON/],
  ['JSON array', b64('[1]'), /not an object/],
  ['no value', b64(JSON.stringify({ server: 'api.x' })), /"value" is missing/],
  ['scheme in server', b64(JSON.stringify({ server: 'https://api.x', value: KEY })), /without scheme/],
  ['short value', b64(JSON.stringify({ server: 'api.x', value: 'abc' })), /32-character.*3 character/],
];
for (const [name, text, re] of bad) {
  test(`bad token (${name}): InputError (exit 2) naming the problem, never the token`, (t) => {
    const e = t.throws(() => parseEnrollmentToken(text, 'plugins.privacy_router.netmaker.token_file'), { instanceOf: InputError })!;
    t.regex(e.message, re);
    t.is((e as InputError).exitCode, 2);
    t.regex(e.message, /netmaker\.token_file/);
    if (text.length > 8) t.false(e.message.includes(text), 'the token text is not echoed');
  });
}

test('wg dump: handshake ages per peer; never = null', (t) => {
  const dump = 'priv\tpub\t51821\toff\nPEER1\t(none)\t198.18.6.2:51821\t10.101.0.2/32\t1000\t1\t2\t20\nPEER2\t(none)\t(none)\t10.101.0.3/32\t0\t0\t0\t20\n';
  t.deepEqual(parseWgDump(dump, 1030), [
    { publicKey: 'PEER1', endpoint: '198.18.6.2:51821', allowedIps: ['10.101.0.2/32'], handshakeAgeSec: 30 },
    { publicKey: 'PEER2', endpoint: null, allowedIps: ['10.101.0.3/32'], handshakeAgeSec: null },
  ]);
});

const FN = { function: 'vector_db', proto: 'tcp' as const, port: 8080, socket: 'internal_200', ip: '10.78.0.200', containerId: 200 };
const SPEC = { meshIface: 'netmaker', bridgePort: 'nm-privacy', uplinkCidr: '10.78.0.1/24', functions: [FN] };

test('mesh node net: one DNAT + one accept per function in PRIVROUTE-MESH, replies, then DROP; the jumps; the node closed to the mesh', (t) => {
  const d = meshNodeNet(SPEC);
  t.is(d.owner, 'mesh');
  t.deepEqual(d.chains, [{ family: 4, table: 'filter', chain: 'PRIVROUTE-MESH' }]);
  t.deepEqual(d.rules!.map((r) => `${r.table} ${r.chain} ${r.spec.join(' ')}`), [
    'nat PREROUTING -i netmaker -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.78.0.200',
    'filter PRIVROUTE-MESH -d 10.78.0.200/32 -i netmaker -o nm-privacy -p tcp -m tcp --dport 8080 -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT',
    'filter PRIVROUTE-MESH -i nm-privacy -o netmaker -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    'filter PRIVROUTE-MESH -j DROP',
    'filter FORWARD -i netmaker -j PRIVROUTE-MESH',
    'filter FORWARD -i nm-privacy -j PRIVROUTE-MESH',
    'filter FORWARD -o netmaker -j PRIVROUTE-MESH',
    'filter FORWARD -o nm-privacy -j PRIVROUTE-MESH',
    'filter INPUT -i netmaker -p tcp -m conntrack --ctstate NEW -j DROP',
    'filter INPUT -i netmaker -p udp -m conntrack --ctstate NEW -j DROP',
  ]);
  t.deepEqual(d.links, [{ name: 'nm-privacy', addrs: ['10.78.0.1/24'], up: true }]);
  t.deepEqual(d.sysctls, [{ key: 'net.ipv4.ip_forward', value: '1' }]);
});

/** An observed node with nothing of the mesh on it (nm-privacy exists, bare). */
function bareNode(): NetObserved {
  const listing = (lines: string[] = []) => ({ exists: true, policy: 'ACCEPT', lines: lines.map((line) => ({ line })) });
  const chains = new Map([['4/filter/INPUT', listing()], ['4/filter/FORWARD', listing(['-A FORWARD -j ACCEPT'])], ['4/nat/PREROUTING', listing()]]);
  return { chains, legacyRules: [], ipRules: new Map(), routes: new Map(), sysctls: new Map([['net.ipv4.ip_forward', '0']]), links: new Map([['nm-privacy', { up: false, addrs: [], mtu: 1500 } as never]]) };
}

test('mesh node plan (through src/net): the chain before its rules, rules before the jumps, forwarding last; every argv is iptables/ip/sysctl with the owner comment', (t) => {
  const plan = planNet(meshNodeNet(SPEC), bareNode());
  const argv = plan.map((c) => c.argv.join(' '));
  const at = (re: RegExp) => argv.findIndex((a) => re.test(a));
  t.true(at(/-N PRIVROUTE-MESH/) < at(/-I PRIVROUTE-MESH/));
  t.true(at(/-I PRIVROUTE-MESH .*-j DROP/) < at(/-I FORWARD .*-j PRIVROUTE-MESH/));
  t.is(at(/ip_forward=1/), argv.length - 1, 'forwarding is switched on last');
  t.true(argv.some((a) => a === 'ip addr replace 10.78.0.1/24 dev nm-privacy'));
  for (const c of plan.filter((c) => c.argv.includes('-I'))) t.regex(c.argv.join(' '), /--comment privroute\/mesh:/);
  t.false(argv.some((a) => a.includes('-D FORWARD') || a.includes('-F')), 'the foreign FORWARD rule is left alone, nothing flushed');
});

test('mesh plan: a missing nm-privacy is reported, not worked around; a joined node is not joined again', (t) => {
  const s = { network: 'privacy-mesh', meshIface: 'netmaker', bridgePort: 'nm-privacy', netclient: 'netclient', restart: [], source: { kind: 'file' as const, file: '/x' } };
  const want = { node: meshNodeNet(SPEC), containers: new Map(), bridgePort: 'nm-privacy' };
  const noPort = { ...bareNode(), links: new Map() };
  const joined = { network: 'privacy-mesh', connected: true } as never;
  const plan = planMesh(s, want, { membership: joined, iface: { up: true, addrs: [], mtu: 1420 } as never, node: noPort, containers: new Map() });
  t.deepEqual(plan.map((c) => c.op), ['missing-port']);
  const fresh = planMesh(s, want, { node: bareNode(), containers: new Map() });
  t.is(fresh[0]!.op, 'join');
  t.is(fresh.filter((c) => c.op === 'join').length, 1);
});

test('leave: every mesh rule and the chain are removed, jumps before the chain; nothing foreign', (t) => {
  const d = meshNodeNet(SPEC);
  const lines = (chain: string) => d.rules!.filter((r) => r.chain === chain).map((r) => ({ line: `-A ${chain} ${r.spec.join(' ')} -m comment --comment ${ruleComment('mesh', r)}`, owner: 'mesh', id: ruleId(r) }));
  const o = bareNode();
  o.chains.set('4/filter/FORWARD', { exists: true, policy: 'ACCEPT', lines: [...lines('FORWARD'), { line: '-A FORWARD -j ACCEPT' }] });
  o.chains.set('4/filter/PRIVROUTE-MESH', { exists: true, lines: lines('PRIVROUTE-MESH') });
  const plan = planNetRemoval(d, o);
  const argv = plan.map((c) => c.argv.join(' '));
  t.is(argv.filter((a) => a.includes('-D FORWARD')).length, 4);
  t.is(argv.filter((a) => a.includes('-D PRIVROUTE-MESH')).length, 3);
  t.is(argv[argv.length - 1], 'iptables -w -t filter -X PRIVROUTE-MESH');
  t.false(argv.some((a) => a.includes('-D FORWARD -j ACCEPT')));
});

test('metrics: the mesh hop becomes joined, per-peer handshake age and per-function gauges', async (t) => {
  const { DaemonMetrics } = await import('../../../src/daemon/metrics.js');
  const m = new DaemonMetrics(['health']);
  const hop = { hop: 'netmaker' as const, ok: true, detail: '', checks: [], data: { joined: true, peers: [{ publicKey: 'PEER1', handshakeAgeSec: 12 }, { publicKey: 'PEER2', handshakeAgeSec: null }], functions: [{ function: 'vector_db', target: 'internal_200', ok: true }] } };
  m.recordStatus({ ok: true, at: '', hops: [hop], protections: [], capabilities: { macRotation: { available: true } } });
  const text = (await m.render()).body;
  t.regex(text, /privroute_mesh_joined 1/);
  t.regex(text, /privroute_mesh_peer_handshake_age_seconds\{peer="PEER1"\} 12/);
  t.regex(text, /privroute_mesh_peer_handshake_age_seconds\{peer="PEER2"\} -1/);
  t.regex(text, /privroute_mesh_function_up\{function="vector_db",target="internal_200"\} 1/);
});
