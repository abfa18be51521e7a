#!/usr/bin/env node
/**
 * Regenerate the README's lab-chain table from the JSON the benches print.
 *
 *   node scripts/bench-readme.mjs bench/results/<date>-lab-chain.json [bench/results/<date>-vps-observe.json]
 *
 * Rewrites what lies between `<!-- bench:lab-chain:begin -->` and
 * `<!-- bench:lab-chain:end -->` in README.md (nothing else). Every row comes
 * from the JSON: the run's date and load average are in the caption, and a
 * value the JSON lacks is shown as "—".
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [labFile, vpsFile] = process.argv.slice(2);
if (!labFile) {
  process.stderr.write('usage: node scripts/bench-readme.mjs <lab-chain.json> [vps-observe.json]\n');
  process.exit(2);
}
const j = JSON.parse(readFileSync(labFile, 'utf8'));
const v = vpsFile ? JSON.parse(readFileSync(vpsFile, 'utf8')) : null;
const d = (x, unit = '') => (x === null || x === undefined || Number.isNaN(x) ? '—' : `${x}${unit}`);
const pair = (o, unit = '') => (o ? `${d(o.up, unit)} / ${d(o.down, unit)}` : '—');
const met = (b) => (b === undefined ? '—' : b ? 'yes' : '**no**');
const ac = j.as_configured ?? {};
const tp = ac.throughput_mbit_s ?? {};
const cpu = ac.cpu_core_s_per_gbit ?? {};
const cli = j.cli ?? {};
const rows = [
  ['Chain throughput, client → web through every hop, up / down', pair(tp.chain, ' Mbit/s'), `one wireguard-go hop ${pair(tp.one_wg_hop)}`, pair(ac.chain_over_one_wg_hop), '≥ 0.5', met(ac.met)],
  ['One wireguard-go hop / raw OVS bridge, up / down', pair(tp.one_wg_hop, ' Mbit/s'), `raw bridge ${pair(tp.raw_bridge)}`, pair(ac.one_wg_hop_over_raw_bridge), '—', '—'],
  ['CPU per Gbit moved, all lab processes, chain vs one hop (up / down)', pair(cpu.chain?.lab, ' core-s'), pair(cpu.one_wg_hop?.lab, ' core-s'), '—', '—', '—'],
  ['CPU per Gbit moved, node-side processes only, chain vs one hop', pair(cpu.chain?.node_side, ' core-s'), pair(cpu.one_wg_hop?.node_side, ' core-s'), '—', '—', '—'],
  [`No-op \`privroute init\`, ${d(cli.runner)} (median of ${d(cli.reps)})`, d(cli.noop_init_s?.median, ' s'), '—', '—', '≤ 2 s', met(cli.noop_init_s?.met)],
  [`No-op \`privroute plan\` (median of ${d(cli.reps)})`, d(cli.noop_plan_s?.median, ' s'), '—', '—', '≤ 2 s', met(cli.noop_plan_s?.met)],
  ['`privroute --version` (median, with `ip netns exec`)', d(cli.startup_version_s?.median, ' s'), '—', '—', '≤ 0.15 s', met(cli.startup_version_s?.met)],
];
if (tp.hand_chain) {
  rows.push(['Chain vs the same tools wired by hand (chain-recipe.md), up / down', pair(tp.chain, ' Mbit/s'), `hand-built chain ${pair(tp.hand_chain)}`, pair(ac.chain_over_hand_chain), '≥ 1', met(ac.chain_over_hand_chain ? ac.chain_over_hand_chain.up >= 1 && ac.chain_over_hand_chain.down >= 1 : undefined)]);
  rows.push(['One wireguard-go hop vs the hand-built one hop, up / down', pair(tp.one_wg_hop, ' Mbit/s'), `hand-built hop ${pair(tp.hand_one_wg_hop)}`, pair(ac.one_wg_hop_over_hand_one_wg_hop), '≥ 0.8', met(ac.one_wg_hop_over_hand_one_wg_hop ? ac.one_wg_hop_over_hand_one_wg_hop.up >= 0.8 && ac.one_wg_hop_over_hand_one_wg_hop.down >= 0.8 : undefined)]);
  rows.push(['CPU per Gbit moved, all processes, chain vs hand-built chain (up / down)', pair(cpu.chain?.lab, ' core-s'), pair(cpu.hand_chain?.lab, ' core-s'), '—', '—', '—']);
}
if (j.ttfb) {
  const t = j.ttfb;
  rows.push([`TTFB, ${t.requests_per_path} small requests, median`, d(t.median_ms?.chain, ' ms'), `direct from the VPS ${d(t.median_ms?.direct_from_vps, ' ms')}`, `+${d(t.extra_over_direct_ms?.chain, ' ms')}`, '≤ direct + 4 ms', met(t.extra_over_direct_ms?.chain !== undefined && t.extra_over_direct_ms.chain !== null ? t.extra_over_direct_ms.chain <= 4 : undefined)]);
}
const mux = j.variant_ct101_mux;
if (mux) {
  const t = mux.ttfb?.median_ms ?? {};
  rows.push(['Variant: mux on CT101\'s VLESS outbound — TTFB median; chain up / down', `${d(t.chain, ' ms')}; ${mux.throughput_mbit_s ? pair(mux.throughput_mbit_s, ' Mbit/s') : `failed: ${mux.error}`}`, `direct ${d(t.direct_from_vps, ' ms')}`, '—', '—', '—']);
}
if (v) rows.push([`VPS observe for \`plan\`: batched vs one SSH request per probe (${v.ssh_requests.batched} vs ${v.ssh_requests.per_probe} requests)`, d(v.median_s.batched, ' s'), `per probe ${d(v.median_s.per_probe, ' s')}`, `${d(v.speedup)}× faster`, '—', '—']);
const caption =
  `Run ${j.date} (\`bench/lab-chain\`, ${d(j.iperf3?.reps)} reps × ${d(j.iperf3?.seconds)} s, medians), ` +
  `load average ${(j.machine?.loadavg_start ?? []).join(' / ')} at the start and ${(j.loadavg_end ?? []).join(' / ')} at the end` +
  (v ? `; VPS observe ${v.date}, load ${v.loadavg.join(' / ')}` : '') +
  (j.error ? `. **The run failed:** ${j.error}` : '') + '.';
const lines = [caption, '', '| Benchmark | privroute | peer, same run | ratio | target | met |', '|---|---|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)];
// The attribution: every path and one-thing-changed variant of the same run, with the CPU per Gbit of each process.
if (Array.isArray(j.attribution) && j.attribution.length) {
  const short = (k) => k.replace('wireguard-go ', 'wg ').replace('ovs-vswitchd', 'ovs');
  const procs = (o) => Object.entries(o ?? {}).filter(([k, v]) => !k.startsWith('all ') && !k.startsWith('iperf3') && v >= 0.5).map(([k, v]) => `${short(k)} ${v}`).join(', ');
  const vsChain = Object.fromEntries((j.attribution_vs_chain ?? []).map((r) => [r.what, r.cost_over_chain]));
  lines.push('', `Attribution, same run: core-seconds per Gbit moved (lower is cheaper), per process; "× chain" is the total against privroute's chain as configured. Variants are privroute's chain with one thing changed, restored after their pass.`, '');
  lines.push('| Path / variant | Mbit/s up / down | core-s/Gbit up / down | × chain up / down | per process, up | per process, down |', '|---|---|---|---|---|---|');
  for (const r of j.attribution) lines.push(`| ${r.what} | ${pair(r.mbit_s)} | ${pair(r.core_s_per_gbit)} | ${pair(vsChain[r.what])} | ${procs(r.per_process?.up)} | ${procs(r.per_process?.down)} |`);
  const failed = Object.entries(j.variants ?? {}).filter(([, v]) => !v.ok);
  for (const [k, v] of failed) lines.push(`| variant ${k}: ${v.note} | failed: ${v.error} | — | — | — | — |`);
}
const table = lines.join('\n');
const readme = readFileSync('README.md', 'utf8');
const re = /(<!-- bench:lab-chain:begin -->\n)[\s\S]*?(\n<!-- bench:lab-chain:end -->)/;
if (!re.test(readme)) {
  process.stderr.write('README.md has no <!-- bench:lab-chain:begin --> ... <!-- bench:lab-chain:end --> block\n');
  process.exit(1);
}
writeFileSync('README.md', readme.replace(re, `$1${table}$2`));
process.stdout.write(table + '\n');
