/**
 * A private Open vSwitch for the lab and tests: its own ovsdb-server and
 * ovs-vswitchd (userspace datapath, --disable-system), with a private run/db/log
 * dir, running inside a network namespace so their internal ports are created
 * there and never in the machine's root namespace.
 *
 * ovs-vsctl / ovs-ofctl / ovs-appctl are exposed as test WITNESSES only; the
 * product speaks OVSDB and OpenFlow itself (src/ovs).
 */
import { mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { spawnArgv } from '../../host/local.js';
import { startProcess, waitFor, waitGone, type Proc } from './process.js';
import type { Scope } from './scope.js';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** A running private OVS instance. */
export interface OvsInstance {
  readonly ns: string;
  readonly rundir: string;
  /** Path of the OVSDB unix socket. */
  readonly dbSocket: string;
  /** `unix:<dbSocket>`. */
  readonly dbEndpoint: string;
  /** Path of a bridge's OpenFlow management socket. */
  mgmtSocket(bridge: string): string;
  vsctl(args: string[]): Promise<string>;
  ofctl(args: string[]): Promise<string>;
  appctl(args: string[]): Promise<string>;
  /** Witness-made bridge: netdev datapath, OpenFlow10..15, fail_mode secure. */
  addBridge(name: string): Promise<void>;
  /** kill -9 ovs-vswitchd and start a new one (the restart the daemon must repair). */
  restartVswitchd(): Promise<void>;
  stop(): Promise<void>;
}

/** Start a private OVS inside namespace `ns`. Stopped at scope close. */
export async function startOvs(scope: Scope, o: { ns: string }): Promise<OvsInstance> {
  const rundir = path.join(scope.dir, `ovs-${o.ns}`);
  mkdirSync(rundir, { recursive: true, mode: 0o700 });
  const env = { OVS_RUNDIR: rundir, OVS_DBDIR: rundir, OVS_LOGDIR: rundir, OVS_PKGDATADIR: '/usr/share/openvswitch' };
  const db = path.join(rundir, 'conf.db');
  const dbSocket = path.join(rundir, 'db.sock');
  if (!existsSync(db)) await spawnArgv('local', ['ovsdb-tool', 'create', db, SCHEMA], { env });
  const tag = o.ns.replace(/[^A-Za-z0-9]/g, '');
  const ovsdb = await startProcess(scope, {
    name: `ovsdb-server-${tag}`,
    ns: o.ns,
    env,
    argv: [
      'ovsdb-server', db,
      `--remote=punix:${dbSocket}`,
      '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
      `--unixctl=${path.join(rundir, 'ovsdb-server.ctl')}`,
      `--pidfile=${path.join(rundir, 'ovsdb-server.pid')}`,
      `--log-file=${path.join(rundir, 'ovsdb-server.log')}`,
    ],
  });
  await waitFor('ovsdb-server socket', () => existsSync(dbSocket));
  const run = (argv: string[]) => spawnArgv(`ovs:${o.ns}`, argv, { env }).then((r) => r.stdout);
  const vsctl = (args: string[]) => run(['ovs-vsctl', `--db=unix:${dbSocket}`, '--timeout=10', ...args]);
  await vsctl(['--no-wait', 'init']);
  const vswitchdCtl = path.join(rundir, 'ovs-vswitchd.ctl');
  let vswitchd: Proc | undefined;
  let generation = 0;
  const startVswitchd = async () => {
    generation += 1;
    vswitchd = await startProcess(scope, {
      name: `ovs-vswitchd-${tag}-${generation}`,
      ns: o.ns,
      env,
      argv: [
        'ovs-vswitchd', `unix:${dbSocket}`, '--disable-system',
        `--unixctl=${vswitchdCtl}`,
        `--pidfile=${path.join(rundir, 'ovs-vswitchd.pid')}`,
        `--log-file=${path.join(rundir, 'ovs-vswitchd.log')}`,
      ],
    });
    await waitFor('ovs-vswitchd control socket', async () => {
      if (!existsSync(vswitchdCtl)) return false;
      await run(['ovs-appctl', '-t', vswitchdCtl, 'version']);
      return true;
    });
  };
  await startVswitchd();
  const inst: OvsInstance = {
    ns: o.ns,
    rundir,
    dbSocket,
    dbEndpoint: `unix:${dbSocket}`,
    mgmtSocket: (bridge) => path.join(rundir, `${bridge}.mgmt`),
    vsctl,
    ofctl: (args) => run(['ovs-ofctl', ...args]),
    appctl: (args) => run(['ovs-appctl', '-t', vswitchdCtl, ...args]),
    addBridge: async (name) => {
      await vsctl([
        '--may-exist', 'add-br', name, '--', 'set', 'bridge', name, 'datapath_type=netdev',
        'protocols=OpenFlow10,OpenFlow13,OpenFlow14,OpenFlow15', 'fail_mode=secure',
      ]);
      await waitFor(`bridge ${name} mgmt socket`, () => existsSync(inst.mgmtSocket(name)));
    },
    restartVswitchd: async () => {
      const old = vswitchd!;
      process.kill(old.pid, 'SIGKILL');
      // Poll (a timer keeps the event loop alive; the unref'd child's exit event alone may not).
      await waitGone(old.pid, 'killed ovs-vswitchd');
      await old.stop();
      await startVswitchd();
      // The control socket comes first; each bridge's OpenFlow socket only once the
      // new daemon has read the database. Callers expect a usable switch.
      const bridges = (await vsctl(['list-br'])).split('\n').filter(Boolean);
      for (const b of bridges) {
        await waitFor(`bridge ${b} OpenFlow socket after restart`, async () => {
          await run(['ovs-ofctl', '-O', 'OpenFlow13', 'show', b]);
          return true;
        });
      }
    },
    stop: async () => {
      await vswitchd?.stop();
      await ovsdb.stop();
    },
  };
  return inst;
}
