/**
 * Golden text of the pipeline compiled from the seed's example config, for
 * obfuscation levels 0-3 with security flows on and off.
 * Regenerate deliberately with UPDATE_GOLDEN=1 and review the diff.
 */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compilePipeline } from '../../../src/flows/compile.js';
import { pipelineText } from '../../../src/flows/golden.js';
import { seedConfig } from './_seed.js';

const dir = new URL('../../fixtures/flows/', import.meta.url);

for (const security of [true, false]) {
  for (const level of [0, 1, 2, 3] as const) {
    const name = `seed-level${level}-security-${security ? 'on' : 'off'}.txt`;
    test(`golden: ${name}`, (t) => {
      const c = compilePipeline(seedConfig((r) => {
        r.openflow.obfuscation_level = level;
        r.openflow.enable_security_flows = security;
      }));
      const text = pipelineText(c.flows, c.meters);
      const file = new URL(name, dir);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
      t.true(existsSync(file), `missing golden file ${name}: run with UPDATE_GOLDEN=1 and review it`);
      t.is(text, readFileSync(file, 'utf8'));
    });
  }
}

test('golden: the seed config as written (level 2, security on) is the level-2 golden', (t) => {
  const c = compilePipeline(seedConfig());
  t.is(pipelineText(c.flows, c.meters), readFileSync(new URL('seed-level2-security-on.txt', dir), 'utf8'));
});

test('compiling twice gives identical flows (deterministic)', (t) => {
  const a = compilePipeline(seedConfig());
  const b = compilePipeline(seedConfig());
  t.is(pipelineText(a.flows, a.meters), pipelineText(b.flows, b.meters));
});
