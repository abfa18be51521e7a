/**
 * The chain bridge declared to ifupdown2, so that `ifreload -a` (which Proxmox runs when a
 * user applies network changes in the web UI) keeps privroute's ports. Upstream ifupdown2
 * deletes the ports of a declared OVS bridge that are neither in `ovs_ports` nor matched by
 * `ovs-ports-condone-regex`. privroute's internal ports live inside containers' network
 * namespaces, where ifupdown2 cannot configure them, so they are condoned by name rather than
 * listed. `ovs_options` keeps fail_mode secure across a re-create.
 *
 * render (pure) -> observe (the file) -> plan -> apply (write the file 0644 through HostExec).
 * The file goes to /etc/network/interfaces.d/ (Proxmox's /etc/network/interfaces sources it).
 */
import type { HostExec } from '../host/exec.js';
import type { Change, Component } from '../core/runner.js';

/** Where privroute's stanza goes on a node. */
export const DEFAULT_INTERFACES_FILE = '/etc/network/interfaces.d/privroute';

/** What the stanza declares. */
export interface BridgeStanza {
  bridge: string;
  /** privroute's ports on the bridge (condoned by exact name). */
  ports: readonly string[];
  /** The NIC for client devices on the bridge, if any (a real port ifupdown2 may list). */
  accessPort: string | null;
  failMode: 'secure' | 'standalone';
  datapath: 'system' | 'netdev';
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Pure: the regex that condones exactly `ports` (anchored; names escaped). */
export function condoneRegex(ports: readonly string[]): string {
  return `^(${[...ports].sort().map(escapeRe).join('|')})$`;
}

/** Pure: the ifupdown2 stanza text. */
export function renderStanza(s: BridgeStanza): string {
  const options = [`fail_mode=${s.failMode}`, 'protocols=OpenFlow13,OpenFlow14', ...(s.datapath === 'netdev' ? ['datapath_type=netdev'] : [])];
  return [
    '# privroute: the chain bridge (written by `privroute init`; edit privroute\'s config, not this file).',
    '# Its ports live in privroute\'s containers; they are condoned so that `ifreload -a` keeps them.',
    `auto ${s.bridge}`,
    `iface ${s.bridge} inet manual`,
    '\tovs_type OVSBridge',
    ...(s.accessPort ? [`\tovs_ports ${s.accessPort}`] : []),
    `\tovs-ports-condone-regex ${condoneRegex(s.ports)}`,
    `\tovs_options ${options.join(' ')}`,
    '',
  ].join('\n');
}

/** The component: `file` on the node holds exactly the rendered stanza. */
export function ifupdownComponent(node: HostExec, file: string, stanza: BridgeStanza): Component<string | null, Change> {
  const want = renderStanza(stanza);
  return {
    name: 'ifupdown',
    observe: () => node.readFile(file).then((b) => b.toString('utf8'), () => null),
    plan: (have) => (have === want ? [] : [{ describe: `${have === null ? 'write' : 'rewrite'} the ifupdown2 stanza of ${stanza.bridge} in ${file}` }]),
    async apply() {
      await node.run(['mkdir', '-p', file.replace(/\/[^/]+$/, '')]);
      await node.writeFile(file, want, 0o644);
    },
  };
}
