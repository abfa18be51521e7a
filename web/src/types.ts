/** The shape of GET /api/state (src/daemon/web/routes.ts builds it). */

export interface ChainNode { id: string; label: string; ok: boolean | null; reason: string }
export interface Protection { id: string; name: string; status: 'enforced' | 'delegated' | 'unavailable'; hop?: string; reason?: string }
export interface Job { name: string; cron: string; running: boolean; lastEnd: string | null; lastSuccess: string | null; lastOutcome: 'ok' | 'failed' | null; lastError: string | null; next: string | null }
export interface Client {
  name: string; address4: string; address6: string | null; createdAt: string; expiresAt: string | null;
  enabled: boolean; expired: boolean; live: boolean | null; lastHandshake: string | null; rxBytes: number | null; txBytes: number | null;
}
export interface Series { t: number[]; rx: number[]; tx: number[] }
export interface AuditEntry { at: string; op: string; client: string; via: string; remote: string; outcome: 'ok' | 'failed'; detail: string }
export interface State {
  at: string;
  status: { ok: boolean; at: string; hops: { hop: string; ok: boolean; detail: string }[]; protections: Protection[]; macRotation: { available: boolean | null; reason?: string } } | null;
  chain: ChainNode[];
  exit: { address: string | null; probe: string; at: string | null };
  jobs: Job[];
  clients: { clients: Client[]; device: string; warning?: string };
  audit: AuditEntry[];
  traffic: { clients: Record<string, Series>; hops: Record<string, Series> };
}
