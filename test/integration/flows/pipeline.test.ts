/**
 * The compiled pipeline on a real ovs-vswitchd (userspace datapath, private run
 * dir), installed by privroute's own reconcile through OpenFlowClient, with real
 * packets between namespaces. Witnesses: tcpdump on the receiving socket,
 * ping/curl exit codes, `ovs-appctl ofproto/trace`, `ovs-ofctl dump-flows`, and the
 * switch's own OpenFlow message log (vconn debug) for "no FLOW_MOD sent".
 */
import test from 'ava';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StateStore } from '../../../src/state/store.js';
import { Writable } from 'node:stream';
import { run } from '../../../src/cli/program.js';
import { addressPlan, portByName, type Topology } from '../../../src/topology/addressing.js';
import { openflowEndpoint, reconcileSwitch } from '../../../src/flows/apply.js';
import { compilePipeline, type CompiledPipeline } from '../../../src/flows/compile.js';
import { Scope, startProcess, sleep, uniquePrefix, waitFor } from '../../../src/lab/harness/index.js';
import type { Config } from '../../../src/config/types.js';
import { binarySkipReason, rootSkipReason, skipUnless } from '../../helpers/env.js';
import { seedConfig } from '../../unit/flows/_seed.js';
import { capture, craft, ensureSwitch, inNs, packets, placePorts, sourcePorts, startFlowLab, type FlowLab } from './_lab.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('ovs-vswitchd', 'ovsdb-server', 'tcpdump', 'python3', 'curl', 'ping'));
const serial = skip ? test.serial.skip : test.serial;

let scope: Scope;
let lab: FlowLab;
let config: Config;
let topo: Topology;
let compiled: CompiledPipeline;
const port = (n: string) => portByName(topo, n)!;

test.before(async () => {
  if (skip) return;
  scope = new Scope(uniquePrefix('prf'));
  // ICMP meter low enough that a flood is visibly cut (and a plain ping still passes).
  config = seedConfig((r) => void (r.openflow.icmp_rate_pps = 5));
  topo = addressPlan(config);
  lab = await startFlowLab(scope, config, topo);
  compiled = compilePipeline(config);
  const r = await reconcileSwitch(openflowEndpoint(config), compiled, lab.ofports);
  if (r.added !== compiled.flows.length) throw new Error(`initial reconcile added ${r.added} of ${compiled.flows.length}`);
});

test.after.always(async () => {
  await scope?.close();
});

const ping = async (from: string, ip: string, count = 1) => (await inNs(lab.nsOf[from]!, ['ping', '-c', String(count), '-W', '2', ip], [0, 1])).code;

serial('the chain passes along its edges and nowhere else (ICMP)', async (t) => {
  t.is(await ping('internal_100', port('internal_101').ip), 0, 'gateway → xray');
  t.is(await ping('internal_101', port('warp0').ip), 0, 'xray → warp0');
  t.is(await ping('internal_101', port('internal_100').ip), 1, 'xray may not open towards the gateway (replies only)');
  t.is(await ping('warp0', port('internal_101').ip), 1, 'warp0 may not open towards xray (replies only)');
  t.is(await ping('nm-privacy', port('internal_200').ip), 0, 'mesh uplink → mesh socket');
});

serial('the gateway never reaches warp0 directly, and privacy/mesh are isolated (crafted frames)', async (t) => {
  const gw = port('internal_100'), warp = port('warp0'), m200 = port('internal_200'), nm = port('nm-privacy');
  const capWarp = await capture(lab, warp, 'cap-iso-warp', ['udp', 'port', '7001']);
  const capGw = await capture(lab, gw, 'cap-iso-gw', ['udp', 'port', '7001']);
  const capNm = await capture(lab, nm, 'cap-iso-nm', ['udp', 'port', '7001']);
  await craft(lab, gw, { dstMac: warp.mac, dstIp: warp.ip, proto: 'udp', sport: 1, dport: 7001, count: 3 });
  await craft(lab, m200, { dstMac: gw.mac, dstIp: gw.ip, proto: 'udp', sport: 2, dport: 7001, count: 3 });
  await craft(lab, gw, { dstMac: nm.mac, dstIp: nm.ip, proto: 'udp', sport: 3, dport: 7001, count: 3 });
  // Control: a frame that IS allowed (xray → warp0) proves the capture works, then the others had their chance.
  await craft(lab, port('internal_101'), { dstMac: warp.mac, dstIp: warp.ip, proto: 'udp', sport: 4, dport: 7001 });
  await waitFor('control frame at warp0', () => packets(capWarp).length >= 1);
  await sleep(300);
  t.deepEqual(sourcePorts(capWarp), [4], 'only the xray control frame reached warp0, nothing from the gateway');
  t.is(packets(capGw).length, 0, 'mesh socket → gateway dropped');
  t.is(packets(capNm).length, 0, 'gateway → nm-privacy dropped');
});

serial('scan packets (NULL, Xmas, FIN without ACK), fragments and TTL ≤ 1 are dropped; a SYN passes', async (t) => {
  const xr = port('internal_101'), warp = port('warp0');
  const cap = await capture(lab, warp, 'cap-scan', ['tcp', 'port', '7002', 'or', 'udp', 'port', '7002']);
  const base = { dstMac: warp.mac, dstIp: warp.ip, dport: 7002 } as const;
  await craft(lab, xr, { ...base, proto: 'tcp', flags: 0x00, sport: 101, count: 3 }); // NULL
  await craft(lab, xr, { ...base, proto: 'tcp', flags: 0x29, sport: 102, count: 3 }); // Xmas: FIN|PSH|URG
  await craft(lab, xr, { ...base, proto: 'tcp', flags: 0x01, sport: 103, count: 3 }); // FIN scan
  await craft(lab, xr, { ...base, proto: 'udp', sport: 104, count: 3, frag: true }); // first fragment (MF)
  await craft(lab, xr, { ...base, proto: 'udp', sport: 105, count: 3, ttl: 1 });
  await craft(lab, xr, { ...base, proto: 'tcp', flags: 0x02, sport: 110 }); // control: SYN
  await craft(lab, xr, { ...base, proto: 'udp', sport: 111, ttl: 17 }); // control: UDP, TTL 17
  await waitFor('control packets at warp0', () => sourcePorts(cap).filter((p) => p >= 110).length >= 2);
  await sleep(300);
  t.deepEqual(sourcePorts(cap).sort(), [110, 111]);
});

serial('obfuscation level 2: egress to warp0 has TTL 64 and the egress MAC', async (t) => {
  const xr = port('internal_101'), warp = port('warp0');
  const cap = await capture(lab, warp, 'cap-obf', ['udp', 'port', '7003']);
  await craft(lab, xr, { dstMac: warp.mac, dstIp: warp.ip, proto: 'udp', sport: 120, dport: 7003, ttl: 17 });
  await waitFor('packet at warp0', () => packets(cap).length >= 1);
  const [p] = packets(cap);
  t.true(p!.startsWith(`${p!.split(' ')[0]} ${topo.egressMac} > ${warp.mac}`), p);
  t.regex(p!, /ttl 64,/);
});

serial('anti-spoof: a foreign source IP or MAC is dropped, the own source passes', async (t) => {
  const xr = port('internal_101'), warp = port('warp0'), m200 = port('internal_200'), nm = port('nm-privacy');
  const cap = await capture(lab, warp, 'cap-spoof', ['udp', 'port', '7004']);
  const capNm = await capture(lab, nm, 'cap-spoof-nm', ['udp', 'port', '7004']);
  const base = { dstMac: warp.mac, dstIp: warp.ip, proto: 'udp', dport: 7004 } as const;
  await craft(lab, xr, { ...base, sport: 130, srcIp: '10.77.0.55', count: 3 });
  await craft(lab, xr, { ...base, sport: 131, srcMac: '02:00:00:00:00:99', count: 3 });
  await craft(lab, m200, { dstMac: nm.mac, dstIp: nm.ip, proto: 'udp', dport: 7004, sport: 132, srcIp: '10.78.0.77', count: 3 });
  await craft(lab, xr, { ...base, sport: 139 }); // control
  await waitFor('control at warp0', () => sourcePorts(cap).includes(139));
  await sleep(300);
  t.deepEqual(sourcePorts(cap), [139]);
  t.deepEqual(sourcePorts(capNm), []);
});

serial('conntrack: a new TCP connection into the XRay socket is dropped, replies to its own connections pass', async (t) => {
  const xr = port('internal_101'), warp = port('warp0');
  const srvWarp = await startProcess(scope, { name: 'http-warp', ns: lab.nsOf['warp0']!, argv: ['python3', '-m', 'http.server', '8000', '--bind', warp.ip] });
  const srvXray = await startProcess(scope, { name: 'http-xray', ns: lab.nsOf['internal_101']!, argv: ['python3', '-m', 'http.server', '8000', '--bind', xr.ip] });
  await waitFor('http servers', () => /Serving HTTP/.test(srvWarp.log()) && /Serving HTTP/.test(srvXray.log()));
  const synCap = await capture(lab, xr, 'cap-ct', ['tcp', 'dst', 'port', '8000', 'and', 'tcp[tcpflags]', '&', 'tcp-syn', '!=', '0']);
  const out = await inNs(lab.nsOf['internal_101']!, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '5', `http://${warp.ip}:8000/`], [0]);
  t.is(out.stdout.trim(), '200', 'xray → warp0 connection: replies pass');
  const rev = await inNs(lab.nsOf['warp0']!, ['curl', '-s', '-o', '/dev/null', '-m', '3', `http://${xr.ip}:8000/`], [0, 7, 28]);
  t.not(rev.code, 0, 'warp0 → xray new connection must fail');
  t.is(packets(synCap).length, 0, 'no SYN from warp0 ever reached the XRay socket');
  await srvWarp.stop();
  await srvXray.stop();
});

serial('function routing: mesh traffic reaches the function target by port; the wrong function port does not', async (t) => {
  const m200 = port('internal_200');
  const srv = await startProcess(scope, { name: 'http-m200', ns: lab.nsOf['internal_200']!, argv: ['python3', '-m', 'http.server', '8080', '--bind', m200.ip] });
  const srv2 = await startProcess(scope, { name: 'http-m200b', ns: lab.nsOf['internal_200']!, argv: ['python3', '-m', 'http.server', '9000', '--bind', m200.ip] });
  await waitFor('http server', () => /Serving HTTP/.test(srv.log()) && /Serving HTTP/.test(srv2.log()));
  const ok = await inNs(lab.nsOf['nm-privacy']!, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '5', `http://${m200.ip}:8080/`], [0]);
  t.is(ok.stdout.trim(), '200');
  // tcp 9000 is bucket_storage's function: it is steered to internal_201, never to internal_200.
  const wrong = await inNs(lab.nsOf['nm-privacy']!, ['curl', '-s', '-o', '/dev/null', '-m', '3', `http://${m200.ip}:9000/`], [0, 7, 28]);
  t.not(wrong.code, 0);
  // Privacy sockets never get function routing: a SYN from xray to 10.78.0.200:8080 (right MAC) is dropped,
  // while the same SYN from nm-privacy arrives (control).
  const cap = await capture(lab, m200, 'cap-fn', ['tcp', 'dst', 'port', '8080', 'and', 'tcp[tcpflags]', '&', 'tcp-syn', '!=', '0']);
  await craft(lab, port('internal_101'), { dstMac: m200.mac, dstIp: m200.ip, proto: 'tcp', flags: 0x02, sport: 140, dport: 8080, count: 3 });
  await craft(lab, port('nm-privacy'), { dstMac: m200.mac, dstIp: m200.ip, proto: 'tcp', flags: 0x02, sport: 141, dport: 8080 });
  await waitFor('control SYN at internal_200', () => sourcePorts(cap).includes(141));
  await sleep(300);
  t.deepEqual(sourcePorts(cap), [141]);
  await srv.stop();
  await srv2.stop();
});

serial('ofproto/trace agrees with the intent', async (t) => {
  const gw = port('internal_100'), xr = port('internal_101'), warp = port('warp0');
  const of = (n: string) => lab.ofports.get(n)!;
  const trace = (flow: string, ...extra: string[]) => lab.ovs.appctl(['ofproto/trace', lab.bridge, flow, ...extra]);
  // gateway → xray, new TCP: committed and output to xray's port.
  const a = await trace(`in_port=${of(gw.name)},tcp,dl_src=${gw.mac},dl_dst=${xr.mac},nw_src=${gw.ip},nw_dst=1.1.1.1,nw_ttl=64,tcp_flags=0x002`, '--ct-next', 'trk,new');
  t.regex(a, /ct\(commit,zone=77\)/);
  t.regex(a, new RegExp(`\\boutput:${of(xr.name)}\\b`));
  // gateway → warp0's MAC: a new IP connection is refused by ct_state (no commit edge),
  // and non-IP (ARP) is dropped by the isolation guard; no output anywhere.
  const b = await trace(`in_port=${of(gw.name)},tcp,dl_src=${gw.mac},dl_dst=${warp.mac},nw_src=${gw.ip},nw_dst=1.1.1.1,nw_ttl=64,tcp_flags=0x002`, '--ct-next', 'trk,new');
  t.notRegex(b, /\boutput:/);
  t.regex(b, /Datapath actions: drop/);
  const b2 = await trace(`in_port=${of(gw.name)},arp,dl_src=${gw.mac},dl_dst=${warp.mac},arp_spa=${gw.ip},arp_sha=${gw.mac},arp_tpa=${warp.ip},arp_op=2`);
  t.regex(b2, /30\. in_port=\d+,dl_dst=[0-9a-f:]+, priority 65000, cookie 0x70720006/);
  t.notRegex(b2, /\boutput:/);
  // warp0 → xray, new connection: dropped in ct_state (miss).
  const c = await trace(`in_port=${of(warp.name)},tcp,dl_src=${warp.mac},dl_dst=${xr.mac},nw_src=10.77.0.1,nw_dst=${xr.ip},nw_ttl=64,tcp_flags=0x002`, '--ct-next', 'trk,new');
  t.notRegex(c, /\boutput:/);
  t.regex(c, /Datapath actions: drop/);
  // xray → warp0 established: TTL normalized and MAC rewritten, then output to warp0.
  const d = await trace(`in_port=${of(xr.name)},udp,dl_src=${xr.mac},dl_dst=${warp.mac},nw_src=${xr.ip},nw_dst=9.9.9.9,nw_ttl=30`, '--ct-next', 'trk,est');
  t.regex(d, /mod_nw_ttl:64/);
  t.regex(d, new RegExp(`set_field:${topo.egressMac}->eth_src`));
  t.regex(d, new RegExp(`\\boutput:${of(warp.name)}\\b`));
  // An unknown port (the bridge's own local port) misses classification.
  const e = await trace(`in_port=LOCAL,udp,nw_src=10.77.0.9,nw_dst=10.77.0.101`);
  t.regex(e, /Datapath actions: drop/);
});

serial('ARP/ICMP meter: a ping flood gets far fewer replies than requests', async (t) => {
  await sleep(1500); // let the 5 pkt/s buckets refill after the earlier pings
  const r = await inNs(lab.nsOf['internal_100']!, ['ping', '-f', '-c', '200', '-W', '1', port('internal_101').ip], [0, 1]);
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  t.truthy(m, r.stdout);
  t.is(Number(m![1]), 200);
  const received = Number(m![2]);
  t.log(`flood: ${received} of 200 echo replies at icmp_rate_pps=5`);
  t.true(received >= 1 && received <= 100, `received ${received} of 200`);
});

/** OpenFlow messages ovs-vswitchd logged as received since `offset` (vconn debug log). */
function receivedSince(offset: number): string[] {
  const log = readFileSync(`${lab.ovs.rundir}/ovs-vswitchd.log`, 'utf8').slice(offset);
  return log.split('\n').filter((l) => /vconn\|DBG\|.*received: /.test(l)).map((l) => l.replace(/^.*received: /, ''));
}

serial('a no-op reconcile sends no FLOW_MOD, no bundle and no METER_MOD (switch log witness)', async (t) => {
  await lab.ovs.appctl(['vlog/set', 'vconn:file:dbg']);
  const offset = statSync(`${lab.ovs.rundir}/ovs-vswitchd.log`).size;
  const r = await reconcileSwitch(openflowEndpoint(config), compiled, lab.ofports);
  await lab.ovs.appctl(['vlog/set', 'vconn:file:info']);
  t.false(r.sent);
  t.is(r.unchanged, compiled.flows.length);
  const msgs = receivedSince(offset);
  t.true(msgs.some((m) => m.startsWith('OFPST_FLOW request')), 'the witness saw our dump');
  t.deepEqual(msgs.filter((m) => /FLOW_MOD|BUNDLE|METER_MOD/.test(m)), []);
});

serial('`privroute flows` and `flows --apply` against the live switch: in sync, nothing sent', async (t) => {
  const raw = JSON.parse(readFileSync(new URL('../../fixtures/config/seed.json', import.meta.url), 'utf8'));
  raw.plugins.privacy_router.ovs = { ...config.plugins.privacy_router.ovs };
  raw.plugins.privacy_router.openflow.icmp_rate_pps = 5;
  const file = path.join(scope.dir, 'flows-cli.json');
  writeFileSync(file, JSON.stringify(raw), { mode: 0o600 });
  let out = '';
  let err = '';
  const io = { out: new Writable({ write: (c, _e, cb) => ((out += c), cb()) }), err: new Writable({ write: (c, _e, cb) => ((err += c), cb()) }), env: {} };
  t.is(await run(['--config', file, '--json', 'flows'], io), 0, err);
  const shown = JSON.parse(out);
  t.true(shown.inSync);
  t.is(shown.installed.length, compiled.flows.length);
  out = '';
  // --apply mutates the switch: it takes the state lock, so it needs the store init makes
  // (and the MAC salt in it). A fresh store: the salt is empty, as the compiled flows assume.
  const stateDir = path.join(scope.dir, 'flows-cli-state');
  StateStore.open(stateDir, { create: true }).close();
  t.is(await run(['--config', file, '--state-dir', stateDir, '--json', 'flows', '--apply'], io), 0, err);
  t.false(JSON.parse(out).applied.sent);
});

serial('a flow added by someone else (foreign cookie) survives reconciles, including one that changes flows', async (t) => {
  await lab.ovs.ofctl(['-O', 'OpenFlow13', 'add-flow', lab.bridge, 'cookie=0x1234,table=30,priority=7,udp,udp_dst=5353,actions=drop']);
  const changed = compilePipeline(seedConfig((r) => {
    Object.assign(r.ovs, config.plugins.privacy_router.ovs);
    r.openflow.icmp_rate_pps = 5;
    r.openflow.obfuscation_level = 1;
  }));
  const r1 = await reconcileSwitch(openflowEndpoint(config), changed, lab.ofports);
  t.true(r1.sent);
  t.is(r1.modified, 2, 'the two obfuscation flows (ip, ipv6) change; nothing else');
  t.is(r1.added + r1.deleted, 0);
  const r2 = await reconcileSwitch(openflowEndpoint(config), compiled, lab.ofports);
  t.is(r2.modified, 2);
  const dump = await lab.ovs.ofctl(['-O', 'OpenFlow13', 'dump-flows', lab.bridge, 'cookie=0x1234/-1']);
  t.regex(dump, /priority=7,udp,tp_dst=5353 actions=drop|priority=7,udp,udp_dst=5353 actions=drop/);
  const owned = (await lab.ovs.ofctl(['-O', 'OpenFlow13', 'dump-flows', lab.bridge, 'cookie=0x7072000000000000/0xffff000000000000'])).split('\n').filter((l) => l.includes('cookie='));
  t.is(owned.length, compiled.flows.length);
});

serial('after ovs-vswitchd restarts, ensurePorts + the next reconcile restore everything', async (t) => {
  // Keep the event loop referenced while the harness waits for the killed (unref'd) vswitchd to exit.
  const keepAlive = setInterval(() => {}, 500);
  try {
    await lab.ovs.restartVswitchd();
  } finally {
    clearInterval(keepAlive);
  }
  const empty = (await lab.ovs.ofctl(['-O', 'OpenFlow13', 'dump-flows', lab.bridge])).split('\n').filter((l) => l.includes('cookie='));
  t.is(empty.length, 0, 'a restarted vswitchd has no flows (fail_mode secure: nothing passes)');
  lab.ofports = await ensureSwitch(lab.ovs, topo);
  await placePorts(lab);
  const r = await reconcileSwitch(openflowEndpoint(config), compiled, lab.ofports);
  t.is(r.added, compiled.flows.length);
  t.is(r.meters.added, compiled.meters.length);
  t.is(await ping('internal_100', port('internal_101').ip), 0, 'gateway → xray works again');
  t.is(await ping('warp0', port('internal_101').ip), 1, 'and the invariant is back too');
  const again = await reconcileSwitch(openflowEndpoint(config), compiled, lab.ofports);
  t.false(again.sent);
});
