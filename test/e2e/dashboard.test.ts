/**
 * The dashboard in a real browser (Debian's chromium, driven by puppeteer-core
 * over a pipe) against the real lab chain. The daemon runs in the lab's node
 * namespace on its loopback (127.0.0.1:9477, never a real interface) and the
 * browser runs in that same namespace (`ip netns exec`), so it reaches the
 * daemon and nothing else of this machine's network.
 *
 * Without a session the page and the API answer 401 (the page shows the login
 * form), a CSRF-less POST is refused, the CSP header is on every response;
 * then: sign in, every hop green; the gateway's wireguard-go killed -> CT100 red
 * within 10 s, "Run repair now" (the daemon's health job) -> green again; a client
 * added from the page, its QR decoded from a screenshot by zbarimg to exactly
 * the config (which is also what `privroute show-client` prints), then revoked.
 *
 * PRIVROUTE_DASHBOARD_SHOTS=<dir> also writes the screenshots there (docs/).
 */
import test from 'ava';
import { statusFromJson } from '../helpers/status-json.js';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type HTTPResponse, type Page } from 'puppeteer-core';
import { labDown, labUp, type Lab } from '../../src/lab/lab.js';
import { siteAddr } from '../../src/lab/world.js';
import { isWireguardGoFor, pidsWhere, startProcess, uniquePrefix, waitFor, type Proc } from '../../src/lab/harness/index.js';
import { labIfnames } from '../../src/lab/lab-config.js';
import { cliArgv } from '../../src/lab/self.js';
import { binarySkipReason, hasTun, rootSkipReason, skipUnless } from '../helpers/env.js';

const skip = skipUnless(
  rootSkipReason(),
  hasTun() ? null : 'needs /dev/net/tun',
  binarySkipReason('ovs-vswitchd', 'wireguard-go', 'v2ray', 'sshd', 'dnsmasq', 'curl', 'chromium', 'zbarimg'),
);
if (skip) console.log(`skipped: ${skip}`);
const t = skip ? test.skip : test.serial;
const prefix = uniquePrefix('w');
const BASE = 'http://127.0.0.1:9477';
const TRACE = `http://${siteAddr('inet').v4}:8080/cdn-cgi/trace`;
const CLIENT = 'e2e-phone';
const SHOTS = process.env.PRIVROUTE_DASHBOARD_SHOTS;
let lab: Lab;
let daemon: Proc;
let browser: Browser;
let page: Page;
let token: string;
const responses: HTTPResponse[] = [];

test.before(async () => {
  if (skip) return;
  // The page's scripts: compiled as `npm run build` does.
  execFileSync(process.execPath, [path.resolve('node_modules/typescript/bin/tsc'), '-p', 'web/tsconfig.json'], { stdio: 'inherit' });
  lab = await labUp({ prefix, log: (l) => process.stderr.write(`[lab ${prefix}] ${l}\n`) });
  const info = JSON.parse(readFileSync(`${lab.dir}/lab.json`, 'utf8')) as { configFile: string; stateDir: string };
  // No scheduled job may repair behind the test's back: repair runs only when the page asks.
  const cfg = JSON.parse(readFileSync(info.configFile, 'utf8'));
  cfg.plugins.privacy_router.daemon = { ...(cfg.plugins.privacy_router.daemon ?? {}), schedules: Object.fromEntries(['health', 'rotate_warp', 'rotate_xray', 'rotate_mac', 'expire_clients'].map((j) => [j, '0 0 1 1 *'])) };
  const cfgFile = path.join(lab.dir, 'dashboard-config.json');
  writeFileSync(cfgFile, JSON.stringify(cfg), { mode: 0o600 });
  daemon = await startProcess(lab.scope, {
    name: 'privroute-dashboard', ns: lab.world.node.name,
    // debug: the live probe's durations are logged (printed if the red hop is not seen in time).
    argv: [...cliArgv(), '--config', cfgFile, '--state-dir', info.stateDir, '--log-level', 'debug', 'daemon', '--warp-trace-url', TRACE],
  });
  const tokenFile = path.join(info.stateDir, 'daemon.token');
  await waitFor('daemon token file', () => { try { return readFileSync(tokenFile, 'utf8').trim().length > 0; } catch { return false; } }, 30_000);
  token = readFileSync(tokenFile, 'utf8').trim();
  browser = await puppeteer.launch({
    // chromium inside the node namespace: `ip netns exec <ns> chromium …`, DevTools over fds 3/4 (no port).
    executablePath: '/usr/bin/ip', ignoreDefaultArgs: true, pipe: true,
    args: ['netns', 'exec', lab.world.node.name, '/usr/bin/chromium', '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--hide-scrollbars', '--remote-debugging-pipe',
      `--user-data-dir=${path.join(lab.scope.dir, 'chromium-profile')}`, 'about:blank'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('response', (r) => void responses.push(r));
});

test.after.always(async () => {
  if (skip) return;
  await browser?.close().catch(() => undefined);
  if (process.env.PRIVROUTE_DASHBOARD_LOG && daemon) writeFileSync(process.env.PRIVROUTE_DASHBOARD_LOG, daemon.log());
  await daemon?.stop();
  await labDown(prefix);
});

async function shot(name: string, el?: { screenshot(o: { path: string }): Promise<unknown> }): Promise<string> {
  const file = path.join(lab.scope.dir, name);
  await (el ?? page).screenshot({ path: file as `${string}.png` });
  if (SHOTS) writeFileSync(path.join(SHOTS, name), readFileSync(file));
  return file;
}

/** The chain node's data-ok ('true' | 'false' | 'null'). */
const nodeOk = (id: string) => page.$eval(`li[data-node="${id}"]`, (e) => (e as HTMLElement).dataset.ok).catch(() => undefined);
const HOPS = ['ct100', 'ct101', 'warp0', 'vps', 'internet', 'fabric'];

t('without a session: the page is the login form (401), the API is 401, a CSRF-less POST is refused, CSP everywhere', async (tt) => {
  const r = await page.goto(BASE + '/');
  tt.is(r!.status(), 401);
  tt.truthy(await page.$('form[action="/login"] input[name="token"]'));
  const api = await page.evaluate(async (paths: string[]) => Promise.all(paths.map(async (p) => (await fetch(p)).status)), ['/api/state', '/status', '/metrics', '/healthz', '/api/clients/x/config', '/assets/app.js']);
  tt.deepEqual(api, [401, 401, 401, 401, 401, 401]);
  const post = await page.evaluate(async () => (await fetch('/api/clients', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' })).status);
  tt.is(post, 401);
});

t('sign in: every hop green', async (tt) => {
  await page.type('input[name="token"]', token);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  tt.is(page.url(), BASE + '/');
  // The first health run (repair) at start, then the page's live probe.
  await page.waitForFunction((ids: string[]) => ids.every((id) => document.querySelector(`li[data-node="${id}"]`)?.getAttribute('data-ok') === 'true'), { timeout: 120_000, polling: 500 }, HOPS);
  for (const id of HOPS) tt.is(await nodeOk(id), 'true', id);
  // Signed in, a POST without the CSRF header is still refused (the cookie alone is not enough).
  const noCsrf = await page.evaluate(async () => (await fetch('/api/clients', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"csrfless"}' })).status);
  tt.is(noCsrf, 403);
  await page.waitForSelector('#charts figure');
  await shot('dashboard.png');
});

t('the gateway\'s wireguard-go killed: CT100 turns red within 10 s; "Run repair now" turns it green again', async (tt) => {
  // The start-up repair run must be over: a run that began before the fault would not see it.
  await page.waitForFunction(() => [...document.querySelectorAll('#rotations tr')].some((r) => /^health(ok|failed)/.test(r.textContent ?? '')), { timeout: 180_000, polling: 500 });
  const pids = pidsWhere(isWireguardGoFor(labIfnames(prefix).gateway));
  tt.true(pids.length >= 1);
  const t0 = Date.now();
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  try {
    await page.waitForSelector('li[data-node="ct100"][data-ok="false"]', { timeout: 10_000 });
  } catch (e) {
    tt.log(daemon.log().split('\n').filter((l) => /dashboard status probe/.test(l)).slice(-8).join('\n'));
    tt.log(await page.$$eval('li[data-node]', (l) => l.map((x) => `${(x as HTMLElement).dataset.node}=${(x as HTMLElement).dataset.ok}: ${x.querySelector('.reason')?.textContent}`).join('\n')));
    throw e;
  }
  tt.log(`CT100 red after ${Date.now() - t0} ms`);
  tt.regex(await page.$eval('li[data-node="ct100"] .reason', (e) => e.textContent ?? ''), /check failed|unreachable|socket|ENOENT|ECONNREFUSED/i);
  await shot('dashboard-hop-down.png');
  const t1 = Date.now();
  await page.click('#repair');
  await page.waitForFunction((ids: string[]) => ids.every((id) => document.querySelector(`li[data-node="${id}"]`)?.getAttribute('data-ok') === 'true'), { timeout: 120_000, polling: 500 }, HOPS);
  tt.log(`green again ${Date.now() - t1} ms after the repair click`);
  tt.is(await nodeOk('ct100'), 'true');
  // Really repaired: the CLI's status agrees.
  const st = await lab.privroute(['status', '--json', '--warp-trace-url', TRACE], { okCodes: [0, 1] });
  const doc = statusFromJson(st.stdout);
  tt.true(doc.hops.find((h) => h.hop === 'gateway')!.ok, doc.hops.find((h) => h.hop === 'gateway')!.detail);
});

t('add a client from the page; its QR (a screenshot, zbarimg) is exactly its config; revoke it', async (tt) => {
  await page.type('#add-client input[name="name"]', CLIENT);
  await page.type('#add-client input[name="expires"]', '30d');
  await page.click('#add-client button[type="submit"]');
  // The add waits for the jobs' lock (a repair may still be running on a loaded machine).
  await page.waitForSelector(`tr[data-client="${CLIENT}"]`, { timeout: 90_000 });
  await page.click(`tr[data-client="${CLIENT}"] td.actions button`); // "Show config"
  await page.waitForFunction(() => { const i = document.querySelector<HTMLImageElement>('#secret img.qr'); return !!i && i.complete && i.naturalWidth > 0; }, { timeout: 20_000 });
  const config = await page.$eval('#secret pre.config', (e) => e.textContent ?? '');
  tt.regex(config, /^\[Interface\]\nPrivateKey = /);
  const cli = await lab.privroute(['show-client', CLIENT]);
  tt.is(config, cli.stdout, 'the page shows what the CLI prints');
  const png = await shot('qr.png', (await page.$('#secret img.qr'))!);
  tt.is(execFileSync('zbarimg', ['--quiet', '--raw', '-Sbinary', png]).toString(), config);
  // The secret responses were not cacheable.
  for (const r of responses.filter((x) => /\/api\/clients\/[^/]+\/(config|qr\.png)/.test(x.url()))) tt.is(r.headers()['cache-control'], 'no-store', r.url());
  await page.click('#secret button'); // hide the secret before the screenshot
  await shot('dashboard-clients.png');
  page.once('dialog', (d) => void d.accept());
  await page.click(`tr[data-client="${CLIENT}"] button.danger`);
  await page.waitForFunction((n: string) => !document.querySelector(`tr[data-client="${n}"]`), { timeout: 20_000 }, CLIENT);
  const list = JSON.parse((await lab.privroute(['list-clients', '--json'])).stdout) as { clients: { name: string }[] };
  tt.false(list.clients.some((c) => c.name === CLIENT), 'revoked in the store');
  const audit = await page.$$eval('#audit li', (l) => l.map((e) => e.textContent ?? ''));
  tt.true(audit.some((a) => a.includes(`revoke ${CLIENT} — ok`)));
  tt.true(audit.some((a) => a.includes(`add ${CLIENT} — ok`)));
  // The repaired gateway took the new peer live (not deferred to the next init).
  tt.true(audit.some((a) => a.includes(`add ${CLIENT} — ok (applied)`)), audit.join('\n'));
  tt.regex(daemon.log(), /"msg":"client action"/);
});

t('the CSP header was on every response the browser got', (tt) => {
  const own = responses.filter((r) => r.url().startsWith(BASE));
  tt.true(own.length > 10);
  for (const r of own) tt.truthy(r.headers()['content-security-policy'], `${r.status()} ${r.url()}`);
});
