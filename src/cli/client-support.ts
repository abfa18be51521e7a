/**
 * Glue shared by the client CLI commands (commands/*-client*.ts): build
 * the service from the CLI context, write `--out` files, print warnings.
 * Kept here so the commands stay thin (parse, call, print).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { action, type CliContext } from './context.js';
import { InputError } from '../core/errors.js';
import { writeFileAtomic } from '../host/local.js';
import { backendFromConfig } from '../tunnel/backend.js';
import { ClientService } from '../tunnel/clients.js';
import { qrPng, qrTerminal } from '../tunnel/qr.js';

/**
 * The client service for this run. Opens the existing store (never creates it:
 * a missing store is a StateError telling the user to run init).
 */
export function clientService(ctx: CliContext): ClientService {
  const config = ctx.config;
  return new ClientService(ctx.store({ create: false }), config, backendFromConfig(config, { env: ctx.io.env }));
}

/** Print a warning line on stderr (stdout stays clean for --json and configs). */
export function warn(ctx: CliContext, msg: string | undefined): void {
  if (msg) ctx.io.err.write(`warning: ${msg}\n`);
}

/** What `--out FILE` will write, decided (and validated) before any state change. */
export type OutKind = 'png' | 'conf';

/** Validate `--out`: a .png or .conf path whose directory exists. InputError otherwise. */
export function checkOut(file: string | undefined): { file: string; kind: OutKind } | null {
  if (file === undefined) return null;
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.png' && ext !== '.conf') {
    throw new InputError({ path: '--out', value: file, expected: 'a file name ending in .png (QR image) or .conf (wg-quick config)' });
  }
  const abs = path.resolve(file);
  // Checked before the client is stored, so a bad path never leaves a stored client without its file.
  let dirOk = false;
  try {
    dirOk = statSync(path.dirname(abs)).isDirectory();
  } catch {
    dirOk = false;
  }
  if (!dirOk) throw new InputError({ path: '--out', value: file, expected: `a file in an existing directory (${path.dirname(abs)} does not exist)` });
  return { file: abs, kind: ext === '.png' ? 'png' : 'conf' };
}

/** Write the config or its QR PNG at 0600 (both hold the client's private key). */
export async function writeOut(out: { file: string; kind: OutKind }, configText: string): Promise<void> {
  const content = out.kind === 'png' ? await qrPng(configText) : configText;
  await writeFileAtomic(out.file, content, 0o600);
}

/** Print a config (and its terminal QR with `qr`) on stdout. */
export async function printConfig(ctx: CliContext, configText: string, qr: boolean): Promise<void> {
  ctx.io.out.write(configText);
  if (qr) ctx.io.out.write('\n' + (await qrTerminal(configText)) + '\n');
}

/**
 * Register `<op>-client <name>` (revoke, disable, enable): one ClientService
 * mutation on one peer, its result printed (table or --json), then any warning
 * (e.g. the interface was unreachable and init will apply the change).
 */
export function registerPeerCommand(program: Command, op: 'revoke' | 'disable' | 'enable', description: string): void {
  const done = { revoke: 'revoked', disable: 'disabled', enable: 'enabled' }[op];
  program
    .command(`${op}-client <name>`)
    .description(description)
    .action(
      action(async (ctx, cmd) => {
        const r = await clientService(ctx)[op](cmd.args[0]!);
        ctx.output(r, () => `client ${r.name}: ${done}${r.applied === 'applied' ? ' (live interface updated)' : ''}`);
        warn(ctx, r.warning);
      }),
    );
}
