import test from 'ava';
import { InputError } from '../../../src/core/errors.js';
import { hookComponentNames, parseHookArgs, selectComponents } from '../../../src/proxmox/hook.js';
import { validateConfig } from '../../../src/config/validate.js';
import { seed } from '../config/_seed.js';
import { renderHookscript } from '../../../src/proxmox/hookscript.js';
import type { Component } from '../../../src/core/runner.js';

test('parseHookArgs: vmid and phase validated (exit 2 on bad input)', (t) => {
  t.deepEqual(parseHookArgs('101', 'post-start'), { vmid: 101, phase: 'post-start' });
  const e = t.throws(() => parseHookArgs('10x', 'started'), { instanceOf: InputError });
  t.regex(e!.message, /<vmid>/);
  t.regex(e!.message, /<phase>/);
});

test('selectComponents: the subset, outside deps dropped, flows after sockets', (t) => {
  const c = (name: string, dependsOn: string[] = []): Component => ({ name, dependsOn, observe: async () => null, plan: () => [], apply: async () => {} });
  const all = [c('ovs'), c('containers'), c('sockets', ['ovs', 'containers']), c('flows', ['ovs']), c('xray', ['sockets', 'warp', 'engines'])];
  const got = selectComponents(all, ['ovs', 'sockets', 'flows', 'xray']);
  t.deepEqual(got.map((x) => [x.name, x.dependsOn]), [['ovs', []], ['sockets', ['ovs']], ['flows', ['ovs', 'sockets']], ['xray', ['sockets']]]);
});

test('renderHookscript: exec privroute hook with the quoted argv, config and state dir', (t) => {
  const text = renderHookscript({ argv: ['/usr/bin/node', "/opt/it's/main.js"], configPath: '/etc/privroute/config.json', stateDir: '/var/lib/privroute' });
  t.true(text.startsWith('#!/bin/sh\n'));
  t.true(text.includes(`exec '/usr/bin/node' '/opt/it'\\''s/main.js' '--config' '/etc/privroute/config.json' '--state-dir' '/var/lib/privroute' 'hook' "$1" "$2"`));
});

test('hookComponentNames: CT101 gets its client only (no VPS over SSH); CT100 its gateway; others only the switch', (t) => {
  const config = validateConfig(seed());
  const r = config.plugins.privacy_router;
  t.deepEqual(hookComponentNames(config, r.xray.container_id), ['ovs', 'sockets', 'flows', 'xray-client']);
  t.deepEqual(hookComponentNames(config, r.wireguard.container_id), ['ovs', 'sockets', 'flows', 'gateway', 'gateway-peers']);
  t.false(hookComponentNames(config, r.xray.container_id).includes('xray'));
});
