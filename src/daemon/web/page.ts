/**
 * The two HTML documents of the dashboard (pure renderers): the login form and
 * the application shell the page scripts fill in. No inline script or style
 * (the CSP forbids both); the shell carries the session's CSRF token in a meta
 * tag for the scripts to send back in the x-csrf-token header.
 */

/** Escape text for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const head = (title: string, extra = ''): string =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
  `<title>${esc(title)}</title><link rel="stylesheet" href="/assets/style.css">${extra}</head>`;

/** The login form: the token, the pre-session CSRF value (also in a cookie), and an optional error line. */
export function loginPage(o: { csrf: string; error?: string }): string {
  return `${head('privroute — sign in')}<body class="login"><main><h1>privroute</h1>
<form method="post" action="/login" autocomplete="off">
<label for="token">Daemon token</label>
<input id="token" name="token" type="password" required autofocus>
<input type="hidden" name="csrf" value="${esc(o.csrf)}">
<button type="submit">Sign in</button>
${o.error ? `<p class="error" role="alert">${esc(o.error)}</p>` : ''}
<p class="hint">The token is in daemon.token_file, or in the state directory's daemon.token.</p>
</form></main></body></html>\n`;
}

/** The application shell. */
export function appPage(o: { csrf: string }): string {
  return `${head('privroute', `<meta name="csrf-token" content="${esc(o.csrf)}"><script type="module" src="/assets/app.js"></script>`)}<body>
<header><h1>privroute</h1><span id="overall" class="pill">…</span><span id="updated"></span>
<form id="logout"><button type="submit">Sign out</button></form></header>
<main>
<section id="chain-section"><h2>Chain</h2><ol id="chain" class="chain"></ol>
<div class="facts"><div><h3>Protections</h3><ul id="protections"></ul></div>
<div><h3>Rotations</h3><table id="rotations"></table><p id="exit"></p>
<button id="repair" type="button">Run repair now</button></div></div></section>
<section id="clients-section"><h2>Clients</h2>
<form id="add-client" class="inline"><input name="name" placeholder="name" required pattern="[A-Za-z0-9][A-Za-z0-9_.-]*">
<input name="expires" placeholder="expires (e.g. 30d, optional)"><button type="submit">Add client</button></form>
<p id="client-msg" role="status"></p>
<table id="clients"></table><div id="secret" hidden></div></section>
<section id="traffic-section"><h2>Traffic (last hour)</h2><div id="charts" class="charts"></div></section>
<section id="audit-section"><h2>Recent actions</h2><ul id="audit"></ul></section>
</main></body></html>\n`;
}
