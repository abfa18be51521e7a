/**
 * The daemon's Prometheus metrics, on a private prom-client registry (never the
 * global default, so two daemons in one process — tests — do not collide):
 * job runs/failures by job, last success time by job, hop health, last health
 * run converged, client count; the mesh: joined, handshake age per peer, function probes.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { StatusReport } from '../health/types.js';

/** The metric set of one daemon. */
export class DaemonMetrics {
  readonly registry = new Registry();
  readonly jobRuns: Counter<'job'>;
  readonly jobFailures: Counter<'job'>;
  readonly lastSuccess: Gauge<'job'>;
  readonly hopHealthy: Gauge<'hop'>;
  readonly converged: Gauge;
  readonly clients: Gauge<'state'>;
  readonly meshJoined: Gauge;
  readonly meshPeerHandshakeAge: Gauge<'peer'>;
  readonly meshFunctionUp: Gauge<'function' | 'target'>;

  /** Create the metrics; every job's counters start at 0 so they are visible before the first run. */
  constructor(jobNames: readonly string[]) {
    const registers = [this.registry];
    this.jobRuns = new Counter({ name: 'privroute_daemon_job_runs_total', help: 'Job runs, by job', labelNames: ['job'], registers });
    this.jobFailures = new Counter({ name: 'privroute_daemon_job_failures_total', help: 'Failed job runs, by job', labelNames: ['job'], registers });
    this.lastSuccess = new Gauge({ name: 'privroute_daemon_job_last_success_timestamp_seconds', help: 'Unix time of the last successful run, by job (0 = never)', labelNames: ['job'], registers });
    this.hopHealthy = new Gauge({ name: 'privroute_hop_healthy', help: '1 if the hop passed every check at the last health run, else 0', labelNames: ['hop'], registers });
    this.converged = new Gauge({ name: 'privroute_health_converged', help: '1 if the last health (repair) run converged, else 0', registers });
    this.clients = new Gauge({ name: 'privroute_clients', help: 'WireGuard clients in the store, by state', labelNames: ['state'], registers });
    this.meshJoined = new Gauge({ name: 'privroute_mesh_joined', help: '1 if this node is joined to its Netmaker network (last health run)', registers });
    this.meshPeerHandshakeAge = new Gauge({ name: 'privroute_mesh_peer_handshake_age_seconds', help: 'Seconds since the last WireGuard handshake with each mesh peer (-1 = never)', labelNames: ['peer'], registers });
    this.meshFunctionUp = new Gauge({ name: 'privroute_mesh_function_up', help: '1 if the function answered the probe through nm-privacy', labelNames: ['function', 'target'], registers });
    for (const j of jobNames) {
      this.jobRuns.inc({ job: j }, 0);
      this.jobFailures.inc({ job: j }, 0);
      this.lastSuccess.set({ job: j }, 0);
    }
    this.converged.set(0);
  }

  /** Record one finished run. */
  recordRun(job: string, ok: boolean, at: Date = new Date()): void {
    this.jobRuns.inc({ job });
    if (ok) this.lastSuccess.set({ job }, Math.floor(at.getTime() / 1000));
    else this.jobFailures.inc({ job });
  }

  /** Hop gauges from a status. */
  recordStatus(s: StatusReport): void {
    for (const h of s.hops) this.hopHealthy.set({ hop: h.hop }, h.ok ? 1 : 0);
    const mesh = s.hops.find((h) => h.hop === 'netmaker')?.data as { joined?: boolean; peers?: { publicKey: string; handshakeAgeSec: number | null }[]; functions?: { function: string; target: string; ok: boolean }[] } | undefined;
    if (!mesh) return;
    this.meshJoined.set(mesh.joined ? 1 : 0);
    // Peers come and go: the gauge shows exactly the current ones.
    this.meshPeerHandshakeAge.reset();
    for (const p of mesh.peers ?? []) this.meshPeerHandshakeAge.set({ peer: p.publicKey }, p.handshakeAgeSec ?? -1);
    this.meshFunctionUp.reset();
    for (const f of mesh.functions ?? []) this.meshFunctionUp.set({ function: f.function, target: f.target }, f.ok ? 1 : 0);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
