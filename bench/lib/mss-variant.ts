/**
 * Bench hook: the MSS/MTU plan changed — CT100's TCPMSS clamp on SYNs from the
 * client tunnel set to another value (privroute sets the WireGuard MTU − 40), to
 * measure how the chain's cost follows segment size. Restored by `privroute init`
 * (the gateway's firewall is reconciled to the plan). Lab only.
 */
import type { Lab } from '../../src/lab/lab.js';
import { NetnsExec } from '../../src/host/netns.js';

/** Run `fn` with CT100's `--set-mss` clamp(s) at `mss`; returns fn's result and the value privroute had set. */
export async function withGatewayMss<T>(lab: Lab, mss: number, fn: () => Promise<T>): Promise<{ result: T; privroute_mss: number[] }> {
  const ct100 = new NetnsExec(`${lab.prefix}-ct100`);
  const rules = (await ct100.run(['iptables', '-w', '-t', 'mangle', '-S', 'FORWARD'])).stdout.split('\n').filter((l) => l.includes('--set-mss'));
  if (!rules.length) throw new Error('mss variant: CT100 has no TCPMSS --set-mss rule');
  const was: number[] = [];
  try {
    for (const r of rules) {
      // `-S` prints `-A FORWARD <spec>`; its only quoted word is the comment (privroute's have no spaces): unquote it for argv.
      const spec = r.trim().split(/\s+/).slice(2).map((w) => w.replace(/^"(.*)"$/, '$1'));
      const i = spec.indexOf('--set-mss');
      was.push(Number(spec[i + 1]));
      await ct100.run(['iptables', '-w', '-t', 'mangle', '-D', 'FORWARD', ...spec]);
      spec[i + 1] = String(mss);
      await ct100.run(['iptables', '-w', '-t', 'mangle', '-A', 'FORWARD', ...spec]);
    }
    return { result: await fn(), privroute_mss: was };
  } finally {
    const r = await lab.privroute(['init'], { okCodes: [0, 1] });
    if (r.code !== 0) throw new Error(`privroute init did not restore CT100's MSS clamp:\n${r.stderr}`);
  }
}
