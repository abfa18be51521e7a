/** Shared fixtures for the warp unit tests. */
import { readFileSync } from 'node:fs';
import { validateConfig } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/types.js';
import type { WarpDevice } from '../../../src/warp/types.js';
import { generateKeyPair } from '../../../src/warp/keys.js';

/** The seed config with extra `warp`/`chain_network`/`runtime` settings merged in. */
export function configWith(warp: Record<string, unknown> = {}, chain: Record<string, unknown> = {}): Config {
  const seed = JSON.parse(readFileSync(new URL('../../fixtures/config/seed.json', import.meta.url), 'utf8')) as { plugins: { privacy_router: Record<string, Record<string, unknown>> } };
  const r = seed.plugins.privacy_router;
  r.warp = { ...r.warp, ...warp };
  r.chain_network = { ...(r.chain_network ?? {}), ...chain };
  return validateConfig(seed);
}

export const PEER = generateKeyPair().publicKey;

/** A device object shaped like the API's. */
export function device(over: { v4?: string; v6?: string; clientId?: string; endpoint?: WarpDevice['config']['peers'][0]['endpoint'] } = {}): WarpDevice {
  return {
    id: 't.0000-device',
    account: { account_type: 'free' },
    config: {
      client_id: over.clientId ?? 'AQID',
      interface: { addresses: { v4: over.v4 ?? '172.16.0.2', v6: over.v6 ?? 'fd01:5741::2' } },
      peers: [{ public_key: PEER, endpoint: over.endpoint ?? { host: 'engage.cloudflareclient.com:2408', v4: '162.159.192.1:0', v6: '[2606:4700:d0::a29f:c001]:0' } }],
    },
  };
}
