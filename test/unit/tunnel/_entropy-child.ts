/**
 * Child of keys-entropy.test.ts, run with an LD_PRELOAD getentropy() that fails
 * once PR_GETENTROPY_FAIL is set. Node's CSPRNG is seeded at startup (before the
 * fault is armed); then the fault is armed and privroute's key generators run.
 * Prints the generated keys as JSON on stdout.
 */
import { randomBytes } from 'node:crypto';
import { generateClientKeys, generateKeyPair, generatePresharedKey } from '../../../src/tunnel/keys.js';

randomBytes(32); // Node seeds its DRBG at startup; make sure it is seeded before the fault
process.env.PR_GETENTROPY_FAIL = '1'; // setenv(3): the preloaded getentropy() fails from now on
process.stderr.write('[armed]\n');
const keys = [];
for (let i = 0; i < 3; i++) keys.push({ pair: await generateKeyPair(), psk: await generatePresharedKey(), client: await generateClientKeys() });
process.stdout.write(JSON.stringify(keys) + '\n');
