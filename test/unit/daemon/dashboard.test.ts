/**
 * The dashboard's gate and flows over a real socket (127.0.0.1:0, injected jobs,
 * no host access: the WireGuard socket dir is an empty temp dir, so changes are
 * stored and deferred): without the token or a session every page and API call
 * is 401; the CSP header is on every response; the login form sets an HttpOnly
 * SameSite=Strict cookie; failed logins are rate-limited; a session POST
 * without (or with a wrong) CSRF token or from a foreign Origin is refused; the
 * bearer header still works for the API; add/disable/enable/revoke go through
 * ClientService and are recorded; the config and its QR (decoded by zbarimg)
 * are served no-store.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { validateConfig } from '../../../src/config/validate.js';
import { createLogger } from '../../../src/core/logger.js';
import { startDaemon, type Daemon } from '../../../src/daemon/daemon.js';
import { CSP } from '../../../src/daemon/http.js';
import { StateStore } from '../../../src/state/store.js';
import { getClient } from '../../../src/tunnel/client-repo.js';
import { seed } from '../config/_seed.js';

const TOKEN = 'dash-token-' + 'x'.repeat(30);

async function setup(t: import('ava').ExecutionContext) {
  const dir = mkdtempSync(path.join(tmpdir(), 'prdash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  process.env.PRIVROUTE_WG_SOCKET_DIR = dir; // no socket there: every live change is deferred
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  const doc = seed();
  doc.plugins.privacy_router.daemon = { ...(doc.plugins.privacy_router.daemon ?? {}), token_file: tokenFile };
  doc.plugins.privacy_router.wireguard = { ...doc.plugins.privacy_router.wireguard, endpoint: 'vpn.example.com:51820' };
  const config = validateConfig(doc);
  const store = StateStore.open(path.join(dir, 'state'), { create: true });
  t.teardown(() => store.close());
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }) });
  const jobs = () => [{ name: 'health', cron: '0 0 1 1 *', run: async () => ({}) }];
  const d = await startDaemon({ config, store, logger, listen: '127.0.0.1:0', jobs, healthAtStart: false, live: false });
  t.teardown(() => d.stop());
  return { d, store, lines, dir, base: `http://127.0.0.1:${d.server.address.port}` };
}

const GETS = ['/', '/healthz', '/status', '/metrics', '/api/state', '/api/clients/alice/config', '/api/clients/alice/qr.png', '/assets/app.js', '/nope'];
const POSTS = ['/api/clients', '/api/clients/alice/revoke', '/api/clients/alice/disable', '/api/clients/alice/enable', '/api/repair', '/api/logout'];

/** Sign in through the form; returns the session cookie and the page's CSRF token. */
async function signIn(base: string): Promise<{ cookie: string; csrf: string }> {
  const form = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
  const pre = /privroute_login=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const r = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { cookie: `privroute_login=${pre}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: TOKEN, csrf }) });
  if (r.status !== 303) throw new Error(`login: ${r.status}`);
  const cookie = /privroute_session=[^;]+/.exec(r.headers.get('set-cookie') ?? '')![0];
  const page = await (await fetch(`${base}/`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf-token" content="([^"]+)"/.exec(page)![1]! };
}

test('without the token or a session every page and API call is 401, each with the CSP header', async (t) => {
  const { base } = await setup(t);
  for (const p of GETS) {
    for (const headers of <Record<string, string>[]>[{}, { authorization: 'Bearer wrong' }, { cookie: 'privroute_session=forged' }, { accept: 'text/html' }]) {
      const r = await fetch(base + p, { headers });
      t.is(r.status, 401, `GET ${p} ${JSON.stringify(headers)}`);
      t.is(r.headers.get('content-security-policy'), CSP, `CSP on GET ${p}`);
    }
  }
  for (const p of POSTS) {
    const r = await fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    t.is(r.status, 401, `POST ${p}`);
    t.is(r.headers.get('content-security-policy'), CSP);
  }
  // The only public things: the login form's stylesheet and the form's POST.
  const css = await fetch(`${base}/assets/style.css`);
  t.is(css.status, 200);
  t.is(css.headers.get('content-security-policy'), CSP);
  t.regex(CSP, /script-src 'self'/);
  t.notRegex(CSP, /unsafe-inline|unsafe-eval/);
});

test('login: form -> HttpOnly SameSite=Strict session; page carries its CSRF token; no inline script or style', async (t) => {
  const { base } = await setup(t);
  const form = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
  t.is(form.status, 401);
  const html = await form.text();
  t.regex(html, /<form method="post" action="\/login"/);
  t.regex(form.headers.get('set-cookie') ?? '', /privroute_login=.*HttpOnly; SameSite=Strict/);
  const pre = /privroute_login=([^;]+)/.exec(form.headers.get('set-cookie')!)![1]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  const wrong = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { cookie: `privroute_login=${pre}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: 'nope', csrf }) });
  t.is(wrong.status, 401);
  t.regex(await wrong.text(), /Wrong token/);
  const noCsrf = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: TOKEN }) });
  t.is(noCsrf.status, 403, 'a login POST without the pre-session CSRF pair is refused');
  t.false(noCsrf.headers.get('set-cookie')?.includes('privroute_session') ?? false);
  const ok = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { cookie: `privroute_login=${pre}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: TOKEN, csrf }) });
  t.is(ok.status, 303);
  t.regex(ok.headers.get('set-cookie') ?? '', /privroute_session=[A-Za-z0-9_-]{40,}; Path=\/; HttpOnly; SameSite=Strict/);
  const cookie = /privroute_session=[^;]+/.exec(ok.headers.get('set-cookie')!)![0];
  const page = await fetch(`${base}/`, { headers: { cookie } });
  t.is(page.status, 200);
  const body = await page.text();
  t.regex(body, /<meta name="csrf-token" content="[A-Za-z0-9_-]{40,}">/);
  t.regex(body, /<script type="module" src="\/assets\/app.js"><\/script>/);
  t.notRegex(body, /<script>|<script [^>]*>[^<]|<style|\sstyle="|\son[a-z]+="/i, 'no inline script, style or handler');
  t.is(page.headers.get('cache-control'), 'no-store');
  t.is((await fetch(`${base}/api/state`, { headers: { cookie } })).status, 200);
});

test('failed logins are rate-limited per address (429 with Retry-After, even for the right token)', async (t) => {
  const { base } = await setup(t);
  const form = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
  const pre = /privroute_login=([^;]+)/.exec(form.headers.get('set-cookie')!)![1]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const attempt = (token: string) => fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { cookie: `privroute_login=${pre}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, csrf }) });
  for (let i = 0; i < 5; i++) t.is((await attempt(`guess-${i}`)).status, 401);
  const limited = await attempt(TOKEN);
  t.is(limited.status, 429);
  t.regex(limited.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
  t.is(limited.headers.get('set-cookie')?.includes('privroute_session') ?? false, false);
});

test('CSRF: a session POST without the token, with a wrong one, or from a foreign Origin is refused; bearer needs none', async (t) => {
  const { base, store } = await setup(t);
  const { cookie, csrf } = await signIn(base);
  const add = (headers: Record<string, string>, name: string) => fetch(`${base}/api/clients`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name }) });
  t.is((await add({ cookie }, 'c1')).status, 403, 'no CSRF token');
  t.is((await add({ cookie, 'x-csrf-token': csrf + 'x' }, 'c2')).status, 403, 'wrong CSRF token');
  t.is((await add({ cookie, 'x-csrf-token': csrf, origin: 'http://evil.example' }, 'c3')).status, 403, 'foreign Origin');
  for (const n of ['c1', 'c2', 'c3']) t.is(getClient(store.db, n), undefined, `${n} was not added`);
  t.is((await add({ cookie, 'x-csrf-token': csrf }, 'c4')).status, 200);
  t.is((await add({ authorization: `Bearer ${TOKEN}` }, 'c5')).status, 200, 'the bearer API needs no CSRF token');
  t.truthy(getClient(store.db, 'c4'));
  t.truthy(getClient(store.db, 'c5'));
  // Logout ends the session.
  t.is((await fetch(`${base}/api/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } })).status, 200);
  t.is((await fetch(`${base}/api/state`, { headers: { cookie } })).status, 401);
});

test('client actions go through ClientService and are recorded; config and QR (zbarimg) served no-store', async (t) => {
  const { base, store, d, lines, dir } = await setup(t);
  const { cookie, csrf } = await signIn(base);
  const post = (p: string, body: unknown = {}) => fetch(base + p, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const added = await post('/api/clients', { name: 'alice', expires: '30d' });
  t.is(added.status, 200);
  t.like(await added.json(), { name: 'alice', applied: 'deferred' });
  t.truthy(getClient(store.db, 'alice')?.expiresAt);
  t.is((await post('/api/clients', { name: 'alice' })).status, 400, 'a duplicate name is bad input (InputError), as in the CLI');
  t.is((await post('/api/clients', { name: 'a;b' })).status, 400);
  const conf = await fetch(`${base}/api/clients/alice/config`, { headers: { cookie } });
  t.is(conf.headers.get('cache-control'), 'no-store');
  const text = await conf.text();
  t.regex(text, /^\[Interface\]\nPrivateKey = /);
  t.is(text.includes(getClient(store.db, 'alice')!.privateKey), true);
  const qr = await fetch(`${base}/api/clients/alice/qr.png`, { headers: { cookie } });
  t.is(qr.headers.get('content-type'), 'image/png');
  t.is(qr.headers.get('cache-control'), 'no-store');
  const png = path.join(dir, 'qr.png');
  writeFileSync(png, Buffer.from(await qr.arrayBuffer()));
  t.is(execFileSync('zbarimg', ['--quiet', '--raw', '-Sbinary', png]).toString(), text);
  t.is((await post('/api/clients/alice/disable')).status, 200);
  t.false(getClient(store.db, 'alice')!.enabled);
  t.is((await post('/api/clients/alice/enable')).status, 200);
  t.true(getClient(store.db, 'alice')!.enabled);
  t.is((await post('/api/clients/alice/revoke')).status, 200);
  t.is(getClient(store.db, 'alice'), undefined);
  t.is((await post('/api/clients/alice/revoke')).status, 400, 'unknown client');
  const audit = d.dashboard.actions.recent();
  t.deepEqual(audit.map((a) => `${a.op} ${a.client} ${a.outcome}`), ['revoke alice failed', 'revoke alice ok', 'enable alice ok', 'disable alice ok', 'add a;b failed', 'add alice failed', 'add alice ok']);
  t.true(audit.every((a) => a.via === 'session' && a.remote === '127.0.0.1' || a.remote === '::ffff:127.0.0.1'));
  t.is(lines.filter((l) => /"msg":"client action"/.test(l)).length, 7, 'every action logged');
  t.false(lines.some((l) => l.includes(text.split('\n')[1]!.split(' = ')[1]!)), 'no private key in the log');
  const st = await (await fetch(`${base}/api/state`, { headers: { cookie } })).json() as { audit: unknown[]; chain: { id: string }[] };
  t.is(st.audit.length, 7);
  t.deepEqual(st.chain.map((n) => n.id), ['client', 'ct100', 'ct101', 'warp0', 'vps', 'internet', 'fabric']);
});
