/**
 * proxmox/ holds what Proxmox reads on a node installed by deploy/install.sh: they must be
 * exactly what privroute's renderers produce (regenerate: npx tsx scripts/render-proxmox.ts).
 */
import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import { INSTALLED_HOOK_TARGET, defaultStanza } from '../../../src/proxmox/installed.js';
import { renderHookscript } from '../../../src/proxmox/hookscript.js';
import { renderStanza } from '../../../src/proxmox/ifupdown.js';

const file = (p: string) => new URL(`../../../proxmox/${p}`, import.meta.url);

test('proxmox/privroute-hook.sh is the hookscript init writes on an installed node (executable)', (t) => {
  t.is(readFileSync(file('privroute-hook.sh'), 'utf8'), renderHookscript(INSTALLED_HOOK_TARGET));
  t.truthy(statSync(file('privroute-hook.sh')).mode & 0o100);
});

test('proxmox/interfaces.d/privroute is the default config\'s bridge stanza', (t) => {
  t.is(readFileSync(file('interfaces.d/privroute'), 'utf8'), renderStanza(defaultStanza()));
});
