import test from 'ava';
import { planUfwAllow } from '../../../src/net/ufw.js';

const STATUS = `Status: active

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW       Anywhere
443/tcp                    ALLOW       Anywhere
`;

test('planUfwAllow adds only the ports ufw does not allow yet, as argv', (t) => {
  t.deepEqual(planUfwAllow([443], STATUS), []);
  t.deepEqual(planUfwAllow([8443, 443], STATUS), [{ describe: 'ufw allow 8443/tcp', argv: ['ufw', 'allow', '8443/tcp'] }]);
  // 44 is not 443: the match is anchored to the whole port.
  t.deepEqual(planUfwAllow([44], STATUS).map((c) => c.argv), [['ufw', 'allow', '44/tcp']]);
});
