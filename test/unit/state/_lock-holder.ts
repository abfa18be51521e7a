/**
 * Child of lock.test.ts: takes the state lock in argv[2] as command argv[3],
 * prints "held", then keeps it until killed (the test kills it with SIGKILL).
 */
import { acquireStateLock } from '../../../src/state/lock.js';

await acquireStateLock(process.argv[2]!, { command: process.argv[3]!, waitMs: 0 });
process.stdout.write('held\n');
setInterval(() => undefined, 60_000);
