/**
 * Regenerates the files in proxmox/ from privroute's own renderers (what `privroute init`
 * writes on a node installed by deploy/install.sh with the default config): the hookscript
 * snippet and the chain bridge's ifupdown2 stanza. test/unit/proxmox/files.test.ts fails
 * when they drift. Run: npx tsx scripts/render-proxmox.ts
 */
import { writeFileSync } from 'node:fs';
import { INSTALLED_HOOK_TARGET, defaultStanza } from '../src/proxmox/installed.js';
import { renderHookscript } from '../src/proxmox/hookscript.js';
import { renderStanza } from '../src/proxmox/ifupdown.js';

writeFileSync(new URL('../proxmox/privroute-hook.sh', import.meta.url), renderHookscript(INSTALLED_HOOK_TARGET), { mode: 0o755 });
writeFileSync(new URL('../proxmox/interfaces.d/privroute', import.meta.url), renderStanza(defaultStanza()), { mode: 0o644 });
