/**
 * The lab's client device: brings the wg-quick config that `privroute add-client`
 * printed up in the client namespace, the way wg-quick would (wireguard-go,
 * private key and peer over UAPI, address, MTU, default route into the tunnel).
 * The access client's only other link is the access port; the wan client (the
 * lab's phone) keeps only a host route to the node's uplink address outside the
 * tunnel: nothing either sends reaches anything except through the gateway.
 */
import { NetnsExec } from '../host/netns.js';
import { UserspaceBackend } from '../tunnel/device/uapi-backend.js';
import { parseWgQuick } from '../tunnel/render.js';
import { startProcess, waitFor, type Proc, type Scope } from './harness/index.js';

/** The fields of a wg-quick client config the lab needs. */
export interface WgQuick {
  privateKey: string;
  addresses: string[];
  dns: string[];
  mtu: number | null;
  peer: { publicKey: string; presharedKey?: string; allowedIps: string[]; endpoint: string; keepalive?: number };
}

/** The typed view of a wg-quick client config with exactly one [Peer] (the config add-client printed). */
export function parseClientConfig(text: string): WgQuick {
  const { iface: i, peers } = parseWgQuick(text);
  const p = peers[0];
  if (!i.PrivateKey || !p?.PublicKey || !p.Endpoint || peers.length !== 1) throw new Error('client config lacks PrivateKey, or exactly one [Peer] with PublicKey and Endpoint');
  const list = (v?: string) => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  return {
    privateKey: i.PrivateKey,
    addresses: list(i.Address),
    dns: list(i.DNS),
    mtu: i.MTU ? Number(i.MTU) : null,
    peer: {
      publicKey: p.PublicKey,
      presharedKey: p.PresharedKey,
      allowedIps: list(p.AllowedIPs),
      endpoint: p.Endpoint,
      keepalive: p.PersistentKeepalive ? Number(p.PersistentKeepalive) : undefined,
    },
  };
}

/** A client tunnel that is up. */
export interface ClientTunnel {
  iface: string;
  proc: Proc;
  conf: WgQuick;
}

/** The host of a `host:port` / `[v6]:port` endpoint. */
export function endpointHost(endpoint: string): string {
  return endpoint.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
}

/**
 * Bring `confText` up as interface `iface` in namespace `ns` (`endpoint`: dial
 * this instead of the config's, as a LAN client is told the LAN address). Routes:
 * the default (v4 and v6) into the tunnel; the endpoint stays reachable the way it
 * was before (a connected route on the access port, or a host route pinned via the
 * namespace's previous default gateway, as wg-quick's exclusion does).
 */
export async function bringUpClient(scope: Scope, ns: string, iface: string, confText: string, endpoint?: string): Promise<ClientTunnel> {
  const parsed = parseClientConfig(confText);
  const conf = endpoint ? { ...parsed, peer: { ...parsed.peer, endpoint } } : parsed;
  const exec = new NetnsExec(ns);
  const host = endpointHost(conf.peer.endpoint);
  const v6 = host.includes(':') ? ['-6'] : [];
  const via = (JSON.parse((await exec.run(['ip', ...v6, '-j', 'route', 'show', 'default'])).stdout || '[]') as { gateway?: string; dev?: string }[])[0];
  if (via?.gateway) await exec.run(['ip', ...v6, 'route', 'replace', host, 'via', via.gateway, 'dev', via.dev!]);
  const proc = await startProcess(scope, { name: `client-${iface}`, ns, argv: ['wireguard-go', '-f', iface], env: { LOG_LEVEL: 'error' } });
  const wg = UserspaceBackend.forInterface(iface);
  await waitFor(`client wireguard-go ${iface}`, async () => (await wg.get().then(() => true, () => false)));
  await wg.set({
    privateKey: conf.privateKey,
    peers: [{ kind: 'upsert', peer: { publicKey: conf.peer.publicKey, presharedKey: conf.peer.presharedKey, allowedIps: conf.peer.allowedIps, endpoint: conf.peer.endpoint, persistentKeepalive: conf.peer.keepalive } }],
  });
  for (const a of conf.addresses) await exec.run(['ip', ...(a.includes(':') ? ['-6'] : []), 'addr', 'add', a, 'dev', iface]);
  if (conf.mtu) await exec.run(['ip', 'link', 'set', 'dev', iface, 'mtu', String(conf.mtu)]);
  await exec.run(['ip', 'link', 'set', 'dev', iface, 'up']);
  await exec.run(['ip', 'route', 'replace', 'default', 'dev', iface]);
  await exec.run(['ip', '-6', 'route', 'replace', 'default', 'dev', iface]);
  return { iface, proc, conf };
}
