/**
 * Test-environment guards shared by integration and e2e tests.
 */
import { accessSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Why root-only tests cannot run here, or null when they can. */
export function rootSkipReason(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (network namespaces, OVS, wireguard-go)';
  return null;
}

/** Why a binary-dependent test cannot run, or null. Looks `bin` up on PATH. */
export function binarySkipReason(...bins: string[]): string | null {
  for (const b of bins) {
    try {
      execFileSync('which', [b], { stdio: 'ignore' });
    } catch {
      return `needs ${b} on PATH (install the Debian package)`;
    }
  }
  return null;
}

/** True if /dev/net/tun is usable. */
export function hasTun(): boolean {
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Combine skip reasons; print the first one (so CI logs say why) and return whether to skip.
 */
export function skipUnless(...reasons: (string | null)[]): string | null {
  const r = reasons.find((x) => x !== null) ?? null;
  if (r) process.stderr.write(`[skip] ${r}\n`);
  return r;
}
