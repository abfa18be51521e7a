/**
 * The VPS engine's egress firewall (issue 11 item 1, firewall part) against the
 * real kernel: emitted by the VPS hop as desired state, applied by the net
 * reconciler in a namespace standing for the VPS. A process running as the
 * engine's uid cannot open connections to loopback (IPv4 and IPv6) or a private
 * address, but reaches a public one; root (the host's own services) is
 * untouched; an allowed upstream is reachable; a second pass plans nothing.
 */
import test from 'ava';
import { Scope, uniquePrefix, createNetns, vethPair, startProcess, waitFor } from '../../../src/lab/harness/index.js';
import type { NetnsExec } from '../../../src/host/netns.js';
import { observeNet, planNet, reconcileNet } from '../../../src/net/reconcile.js';
import { vpsEgressNet } from '../../../src/xray/vps/firewall.js';
import { rootSkipReason, binarySkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('iptables', 'ip6tables', 'setpriv', 'curl', 'python3'));
const ENGINE_UID = 65534;

/** HTTP GET as `uid` (or root): the status code, or '000' when the connection failed. */
async function get(ns: NetnsExec, url: string, uid?: number): Promise<string> {
  const as = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'];
  return (await ns.run([...as, 'curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', url], { okCodes: [0, 7, 28] })).stdout;
}

(skip ? test.skip : test.serial)('the engine uid cannot reach loopback or private ranges; public and root traffic pass; an allowed upstream passes', async (t) => {
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
    for (const u of Object.values(urls)) t.is(await get(vps, u, ENGINE_UID), '200', `before: ${u}`);

    await reconcileNet(vps, vpsEgressNet(ENGINE_UID));
    t.is(await get(vps, urls.lo4, ENGINE_UID), '000', 'engine uid -> 127.0.0.1 refused');
    t.is(await get(vps, urls.lo6, ENGINE_UID), '000', 'engine uid -> ::1 refused');
    t.is(await get(vps, urls.private, ENGINE_UID), '000', 'engine uid -> 10.0.0.0/8 refused');
    t.is(await get(vps, urls.public, ENGINE_UID), '200', 'engine uid -> a public address passes');
    for (const u of Object.values(urls)) t.is(await get(vps, u), '200', `root (the host's own services) untouched: ${u}`);

    // The engine's DNS upstream may sit in a blocked range: named exceptions pass, nothing else.
    const withUpstream = vpsEgressNet(ENGINE_UID, [{ ip: '10.9.0.2', port: 8082 }]);
    await reconcileNet(vps, withUpstream);
    t.is(await get(vps, urls.private, ENGINE_UID), '200');
    t.is(await get(vps, urls.lo4, ENGINE_UID), '000');
    t.deepEqual(planNet(withUpstream, await observeNet(vps, withUpstream)), [], 'a second pass plans nothing');
  } finally {
    await scope.close();
  }
});
