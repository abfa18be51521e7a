/**
 * The dashboard's client actions: add, disable, enable, revoke, each the
 * ClientService call the CLI's add-client / disable-client / enable-client /
 * revoke-client make (src/tunnel/clients.ts), run under the daemon's job lock
 * (never interleaved with a repair or rotation), and recorded: one log line
 * ("client action", with who, what, outcome; never a key) and an entry in a
 * bounded in-memory list the page shows.
 */
import type { Logger } from 'pino';
import type { ClientService, MutationResult } from '../../tunnel/clients.js';

/** The mutations the page offers. */
export type ClientOp = 'add' | 'disable' | 'enable' | 'revoke';

/** One recorded action. */
export interface AuditEntry {
  at: string;
  op: ClientOp;
  client: string;
  /** 'session' (the page) or 'bearer' (an API client). */
  via: string;
  remote: string;
  outcome: 'ok' | 'failed';
  /** applied / deferred / not-needed, or the error message. */
  detail: string;
}

/** Options of {@link ClientActions}. */
export interface ClientActionsOptions {
  service: () => ClientService;
  /** Serialize with the daemon's jobs. */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
  logger: Logger;
  /** Entries kept for the page (default 50). */
  keep?: number;
}

/** Runs and records client actions. */
export class ClientActions {
  private readonly entries: AuditEntry[] = [];

  constructor(private readonly o: ClientActionsOptions) {}

  /**
   * Run one action. `add` takes `{ expires?, dns? }` (the CLI's option strings).
   * Resolves with the service's result (add: without the config: the page asks
   * for it with an explicit click); rethrows the service's error after recording it.
   */
  async run(op: ClientOp, client: string, who: { via: string; remote: string }, opts: { expires?: string; dns?: string } = {}): Promise<MutationResult> {
    const entry = (outcome: AuditEntry['outcome'], detail: string): void => {
      const e: AuditEntry = { at: new Date().toISOString(), op, client, via: who.via, remote: who.remote, outcome, detail };
      this.entries.unshift(e);
      this.entries.length = Math.min(this.entries.length, this.o.keep ?? 50);
      this.o.logger[outcome === 'ok' ? 'info' : 'warn']({ action: e }, 'client action');
    };
    try {
      const r = await this.o.exclusive(async () => {
        const svc = this.o.service();
        if (op === 'add') {
          const a = await svc.add(client, opts);
          return { name: a.name, applied: a.applied, ...(a.warning ? { warning: a.warning } : {}) };
        }
        return svc[op](client);
      });
      entry('ok', r.applied + (r.warning ? `: ${r.warning}` : ''));
      return r;
    } catch (e) {
      entry('failed', (e as Error).message);
      throw e;
    }
  }

  /** The recorded actions, newest first. */
  recent(): AuditEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }
}
