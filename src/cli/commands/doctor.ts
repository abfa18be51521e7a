/**
 * `privroute doctor`: the preflight of `init` on a Proxmox node. One line per check (PVE
 * version, kernel WireGuard, OVS, the chain bridge, template, storage, Node version, free
 * container ids, the VPS with its pinned key); exit 1 listing what is missing. Changes
 * nothing: every probe is read-only (src/proxmox/doctor-observe.ts), the judging is pure
 * (src/proxmox/doctor.ts). Works before `init` (no state store needed or created).
 */
import type { Command } from 'commander';
import { OperationError } from '../../core/errors.js';
import { nodeExec } from '../../host/node.js';
import { desiredContainers } from '../../appliance/containers.js';
import { applianceTopology } from '../../topology/topology.js';
import { observeNode } from '../../proxmox/doctor-observe.js';
import { formatChecks, planChecks } from '../../proxmox/doctor.js';
import { action } from '../context.js';

/** Register `doctor` on `program`. */
export function register(program: Command): void {
  program
    .command('doctor')
    .description('check that this node has what init needs (changes nothing); exit 1 listing what is missing')
    .action(
      action(async (ctx) => {
        const config = ctx.config;
        const r = config.plugins.privacy_router;
        const ports = applianceTopology(config, ctx.existingStore()).ports.map((p) => p.name);
        const obs = await observeNode(config, { node: nodeExec(r.runtime) });
        const checks = planChecks(config, obs, desiredContainers({ config }), ports);
        const missing = checks.filter((c) => !c.ok);
        ctx.output({ ok: missing.length === 0, checks }, () => formatChecks(checks));
        if (missing.length) {
          throw new OperationError('doctor', `${missing.length} check(s) failed: ${missing.map((c) => c.name).join(', ')}`, { hint: 'fix the MISS lines above, then run `privroute doctor` again', reported: true });
        }
      }),
    );
}
