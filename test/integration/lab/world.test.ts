import test from 'ava';
import { Scope, uniquePrefix } from '../../../src/lab/harness/index.js';
import { buildWorld, siteAddr } from '../../../src/lab/world.js';
import { rootSkipReason, binarySkipReason, skipUnless } from '../../helpers/env.js';

const skip = skipUnless(rootSkipReason(), binarySkipReason('dnsmasq', 'python3'));

(skip ? test.skip : test.serial)('the lab world routes between sites and serves web + DNS', async (t) => {
  const scope = new Scope(uniquePrefix('wo'));
  try {
    const w = await buildWorld(scope);
    const r = await w.vps.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', w.webUrl]);
    t.is(r.stdout, '200');
    t.true(w.webLog().includes(siteAddr('vps').v4), 'web server logs the source address');
    const q = await w.client.run(['dig', '+short', '+time=2', '+tries=1', `@${w.dns.server}`, w.dns.name]);
    t.is(q.stdout.trim(), w.dns.answer);
  } finally {
    await scope.close();
  }
});
