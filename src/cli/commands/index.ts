/**
 * Registers every `privroute` command. Each command lives in its own file and
 * exports `register(program)`; the order here is the order `--help` lists them.
 */
import type { Command } from 'commander';
import * as init from './init.js';
import * as plan from './plan.js';
import * as addClient from './add-client.js';
import * as listClients from './list-clients.js';
import * as showClient from './show-client.js';
import * as revokeClient from './revoke-client.js';
import * as disableClient from './disable-client.js';
import * as enableClient from './enable-client.js';
import * as status from './status.js';
import * as rotate from './rotate.js';
import * as history from './history.js';
import * as rotateClient from './rotate-client.js';
import * as flows from './flows.js';
import * as daemon from './daemon.js';
import * as lab from './lab.js';
import * as config from './config.js';
import * as hook from './hook.js';
import * as doctor from './doctor.js';

const COMMANDS: readonly { register(program: Command): void }[] = [
  init, plan, addClient, listClients, showClient, revokeClient, disableClient, enableClient,
  doctor, status, rotate, rotateClient, history, flows, daemon, lab, config, hook,
];

/** Register all commands on `program`. */
export function registerAll(program: Command): void {
  for (const c of COMMANDS) c.register(program);
}
