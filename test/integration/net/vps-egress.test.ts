/**
 * The VPS engine's egress firewall (issue 11 item 1, firewall part) against the
 * real kernel: emitted by the VPS hop as desired state, applied by the net
 * reconciler in a namespace standing for the VPS. A connection carrying the
 * engine's mark (what its freedom outbound sets) cannot reach loopback (IPv4
 * and IPv6) or a private address, but reaches a public one; unmarked
 * connections (the host's own services) are untouched; an allowed upstream is
 * reachable; a second pass plans nothing.
 */
import test from 'ava';
import { Scope, uniquePrefix, createNetns, vethPair, startProcess, waitFor } from '../../../src/lab/harness/index.js';
import type { NetnsExec } from '../../../src/host/netns.js';
import { observeNet, planNet, reconcileNet } from '../../../src/net/reconcile.js';
import { engineEgressNet, vpsEgressNet } from '../../../src/xray/vps/firewall.js';
import { EGRESS_MARK } from '../../../src/xray/vps/egress-mark.js';
import { rootSkipReason, binarySkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('iptables', 'ip6tables', 'python3'));
const MARK = { mark: EGRESS_MARK };

/** A TCP connect with SO_MARK `mark` (or none), as the engine's freedom outbound makes it. */
const CONNECT = [
  'import socket,sys',
  'h,p,m=sys.argv[1],int(sys.argv[2]),int(sys.argv[3])',
  's=socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET)',
  'm and s.setsockopt(socket.SOL_SOCKET,socket.SO_MARK,m)',
  's.settimeout(3)',
  'try:\n s.connect((h,p)); print("200")\nexcept OSError: print("000")',
].join('\n');

/** "200" when a TCP connection to `url`'s host:port opens (with the engine's mark when `marked`), else "000". */
async function get(ns: NetnsExec, url: string, marked?: typeof MARK): Promise<string> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return (await ns.run(['python3', '-c', CONNECT, host, u.port, String(marked ? marked.mark : 0)])).stdout.trim();
}

(skip ? test.skip : test.serial)("connections with the engine's mark cannot reach loopback or private ranges; public and unmarked traffic pass; an allowed upstream passes", async (t) => {
  const scope = new Scope(uniquePrefix('eg'));
  try {
    const vps = await createNetns(scope, 'vps');
    const net = await createNetns(scope, 'net');
    await vethPair(scope, { ns: vps.name, name: 'e0', cidr: '10.9.0.1/24' }, { ns: net.name, name: 'e1', cidr: '10.9.0.2/24' });
    await vps.run(['ip', 'addr', 'add', '203.0.113.1/24', 'dev', 'e0']);
    await net.run(['ip', 'addr', 'add', '203.0.113.2/24', 'dev', 'e1']);
    const serve = async (ns: NetnsExec, name: string, bind: string, port: number) => {
      await startProcess(scope, { name, ns: ns.name, argv: ['python3', '-u', '-m', 'http.server', String(port), '--bind', bind, '--directory', scope.dir] });
      await waitFor(name, async () => (await ns.run(['ss', '-ltn'])).stdout.includes(`:${port} `));
    };
    await serve(vps, 'lo4', '127.0.0.1', 8081);
    await serve(vps, 'lo6', '::1', 8084);
    await serve(net, 'private', '10.9.0.2', 8082);
    await serve(net, 'public', '203.0.113.2', 8083);
    const urls = { lo4: 'http://127.0.0.1:8081/', lo6: 'http://[::1]:8084/', private: 'http://10.9.0.2:8082/', public: 'http://203.0.113.2:8083/' };
    // Controls before: everyone reaches everything.
    for (const u of Object.values(urls)) t.is(await get(vps, u, MARK), '200', `before: ${u}`);

    await reconcileNet(vps, vpsEgressNet(MARK));
    t.is(await get(vps, urls.lo4, MARK), '000', 'marked -> 127.0.0.1 refused');
    t.is(await get(vps, urls.lo6, MARK), '000', 'marked -> ::1 refused');
    t.is(await get(vps, urls.private, MARK), '000', 'marked -> 10.0.0.0/8 refused');
    t.is(await get(vps, urls.public, MARK), '200', 'marked -> a public address passes');
    for (const u of Object.values(urls)) t.is(await get(vps, u), '200', `unmarked (the host's own services) untouched: ${u}`);

    // The engine's DNS upstream may sit in a blocked range: named exceptions pass, nothing else.
    const withUpstream = vpsEgressNet(MARK, [{ ip: '10.9.0.2', port: 8082 }]);
    await reconcileNet(vps, withUpstream);
    t.is(await get(vps, urls.private, MARK), '200');
    t.is(await get(vps, urls.lo4, MARK), '000');
    t.deepEqual(planNet(withUpstream, await observeNet(vps, withUpstream)), [], 'a second pass plans nothing');

    // What provisioning applies: the engine's mark, its DNS upstream allowed on port 53 only.
    const engine = engineEgressNet('10.9.0.2');
    await reconcileNet(vps, engine);
    t.is(await get(vps, urls.private, MARK), '000', 'the upstream is allowed on 53 only');
    t.is(await get(vps, urls.public, MARK), '200');
    t.deepEqual(planNet(engine, await observeNet(vps, engine)), []);
  } finally {
    await scope.close();
  }
});
