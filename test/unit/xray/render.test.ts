import { EGRESS_MARK } from '../../../src/xray/vps/egress-mark.js';
import test from 'ava';
import { renderClient, type ClientRenderInput } from '../../../src/xray/render/client.js';
import { BLOCKED_NAMES, renderServer, type ServerRenderInput } from '../../../src/xray/render/server.js';
import { serialize } from '../../../src/xray/render/common.js';
import { realityPublicKey } from '../../../src/xray/secrets.js';
import { golden, goldenMaterial, V2RAY, XRAY } from './golden.js';

const material = goldenMaterial();

function serverInput(over: Partial<ServerRenderInput>): ServerRenderInput {
  return {
    profile: 'vless-reality-vision', engine: XRAY, port: 443, material, apiPort: 10085, upstreamDns: '1.1.1.1',
    certFile: '/etc/privroute/xray/server.crt', keyFile: '/etc/privroute/xray/server.key',
    realityTarget: 'www.example.com:443', serverNames: ['www.example.com'], minClientVer: '25.3.6', ...over,
  };
}
function clientInput(over: Partial<ClientRenderInput>): ClientRenderInput {
  return {
    profile: 'vless-reality-vision', engine: XRAY, vpsAddress: '203.0.113.10', vpsPort: 443, material,
    socketIp: '10.77.0.101', socksPort: 1080, transparentPort: 12345, dnsPort: 5353, upstreamDns: '1.1.1.1',
    apiPort: 10085, mark: 255, certFile: '/etc/privroute/xray/vps.crt', realityServerName: 'www.example.com', udp: true, ...over,
  };
}

const cases = [
  ['server-vless-reality-vision.json', () => renderServer(serverInput({}))],
  ['client-vless-reality-vision.json', () => renderClient(clientInput({}))],
  ['server-vless-tls.json', () => renderServer(serverInput({ profile: 'vless-tls', engine: V2RAY }))],
  ['client-vless-tls.json', () => renderClient(clientInput({ profile: 'vless-tls', engine: V2RAY }))],
] as const;

for (const [name, render] of cases) {
  test(`golden ${name}`, (t) => {
    const text = serialize(render());
    t.is(text, golden(name, text));
  });
}

test('golden certificate is the seeded Ed25519 self-signed one', (t) => {
  t.is(material.tls.certPem, golden('vps-cert.pem', material.tls.certPem));
});

test('REALITY keys: base64 RawURL, 32 bytes, public half derived from the private', (t) => {
  for (const k of [material.reality.privateKey, material.reality.publicKey]) {
    t.regex(k, /^[A-Za-z0-9_-]{43}$/);
    t.is(Buffer.from(k, 'base64url').length, 32);
  }
  t.is(realityPublicKey(material.reality.privateKey), material.reality.publicKey);
});

test('reality server: vision flow on every client, explicit minClientVer, non-empty serverNames, hex shortIds', (t) => {
  const cfg = renderServer(serverInput({})) as any;
  const inb = cfg.inbounds[0];
  t.true(inb.settings.clients.every((c: any) => c.flow === 'xtls-rprx-vision'));
  t.is(inb.settings.decryption, 'none');
  const rs = inb.streamSettings.realitySettings;
  t.is(rs.minClientVer, '25.3.6');
  t.deepEqual(rs.serverNames, ['www.example.com']);
  t.is(rs.target, 'www.example.com:443');
  t.true(rs.shortIds.every((s: string) => /^[0-9a-f]{8,16}$/.test(s)));
  t.throws(() => renderServer(serverInput({ serverNames: [] })), { message: /server name/ });
});

test('older Xray gets REALITY `dest` instead of `target`', (t) => {
  const cfg = renderServer(serverInput({ engine: { ...XRAY, version: '1.8.24' } })) as any;
  t.is(cfg.inbounds[0].streamSettings.realitySettings.dest, 'www.example.com:443');
  t.is(cfg.inbounds[0].streamSettings.realitySettings.target, undefined);
});

test('server blocks loopback destinations but keeps the chain resolver reachable', (t) => {
  const cfg = renderServer(serverInput({ profile: 'vless-tls', engine: V2RAY, upstreamDns: '127.0.0.53' })) as any;
  const rules = cfg.routing.rules;
  const allow = rules.findIndex((r: any) => r.ip?.includes('127.0.0.53/32'));
  const block = rules.findIndex((r: any) => r.outboundTag === 'block' && r.ip);
  t.true(allow >= 0 && allow < block);
});

test('server: every outbound that opens connections carries the egress mark the VPS firewall confines', (t) => {
  for (const [profile, engine] of [['vless-tls', V2RAY], ['vless-reality-vision', XRAY]] as const) {
    const cfg = renderServer(serverInput({ profile, engine })) as any;
    const opening = cfg.outbounds.filter((o: any) => o.protocol !== 'blackhole');
    t.true(opening.length > 0);
    for (const o of opening) t.is(o.streamSettings?.sockopt?.mark, EGRESS_MARK, `${profile}: ${o.tag}`);
  }
});

test('server resolves names before the IP block (IPOnDemand) and blocks internal names before any resolution', (t) => {
  for (const [profile, engine] of [['vless-tls', V2RAY], ['vless-reality-vision', XRAY]] as const) {
    const cfg = renderServer(serverInput({ profile, engine })) as any;
    t.is(cfg.routing.domainStrategy, 'IPOnDemand');
    const rules = cfg.routing.rules;
    const byName = rules.findIndex((r: any) => r.domain && r.outboundTag === 'block');
    const firstIp = rules.findIndex((r: any) => r.ip);
    t.true(byName >= 0 && byName < firstIp, 'names are refused before an IP rule makes the engine resolve them');
    t.deepEqual(rules[byName].domain, [...BLOCKED_NAMES]);
  }
});

test('BLOCKED_NAMES: local, internal, single-label and numeric names; public names pass', (t) => {
  // Go RE2 `(?i)` → a JS `i` flag; the patterns use nothing else JS reads differently.
  const res = BLOCKED_NAMES.map((p) => {
    const body = p.replace(/^regexp:/, '');
    return body.startsWith('(?i)') ? new RegExp(body.slice(4), 'i') : new RegExp(body);
  });
  const blocked = (name: string) => res.some((r) => r.test(name));
  for (const n of ['localhost', 'LOCALHOST.', 'a.localhost', 'metadata', 'metadata.google.internal', 'printer.local', 'nas.lan',
    'x.home.arpa', 'host.localdomain', '2130706433', '0x7f.1', '127.1', '0177.0.0.1.']) t.true(blocked(n), n);
  for (const n of ['example.com', 'www.example.com.', 'local.example.com', 'internal-tools.example.org', '1.example', 'cdn-127.net']) t.false(blocked(n), n);
});

test('client: never overrides the destination with a sniffed name (routeOnly on Xray, no sniffing on V2Ray)', (t) => {
  const redir = (engine: typeof XRAY) => (renderClient(clientInput({ engine, profile: engine.kind === 'xray' ? 'vless-reality-vision' : 'vless-tls' })) as any)
    .inbounds.find((i: any) => i.tag === 'redir-in');
  t.like(redir(XRAY).sniffing, { enabled: true, routeOnly: true });
  t.is(redir(V2RAY).sniffing, undefined);
});

test('client: SOCKS on loopback only, transparent/DNS on the socket IP, pinned cert, mark, no direct outbound', (t) => {
  const cfg = renderClient(clientInput({ profile: 'vless-tls', engine: V2RAY, udp: false })) as any;
  const socks = cfg.inbounds.find((i: any) => i.protocol === 'socks');
  t.is(socks.listen, '127.0.0.1');
  t.false(socks.settings.udp);
  const redir = cfg.inbounds.find((i: any) => i.tag === 'redir-in');
  t.deepEqual([redir.listen, redir.settings.network, redir.settings.followRedirect], ['10.77.0.101', 'tcp', true]);
  const dns = cfg.inbounds.find((i: any) => i.tag === 'dns-in');
  t.deepEqual(dns.settings, { address: '1.1.1.1', port: 53, network: 'tcp,udp' });
  t.is(cfg.outbounds.length, 1);
  const out = cfg.outbounds[0];
  t.is(out.tag, 'vps-g1');
  t.deepEqual(out.streamSettings.tlsSettings.certificates, [{ usage: 'verify', certificateFile: '/etc/privroute/xray/vps.crt' }]);
  t.is(out.streamSettings.tlsSettings.serverName, '203.0.113.10');
  t.true(out.streamSettings.tlsSettings.disableSystemRoot, 'the pin is the only trust: no system roots');
  t.is(out.streamSettings.sockopt.mark, 255);
  t.false(JSON.stringify(cfg).includes('freedom'));
});
