/** The page's calls to the daemon: same origin, the session cookie, and the CSRF token (from the shell's meta tag) on every POST. */

const csrf = (): string => document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

/** A failed call, with the daemon's error message. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function check(r: Response): Promise<Response> {
  // Session gone (expired, daemon restarted): reload shows the sign-in form.
  if (r.status === 401) {
    location.reload();
    throw new ApiError(401, 'signed out');
  }
  if (!r.ok) {
    const body = await r.json().catch(() => ({ error: r.statusText }));
    throw new ApiError(r.status, (body as { error?: string }).error ?? r.statusText);
  }
  return r;
}

/** GET JSON. */
export async function getJson<T>(path: string): Promise<T> {
  return (await check(await fetch(path, { credentials: 'same-origin', cache: 'no-store' }))).json() as Promise<T>;
}

/** GET text. */
export async function getText(path: string): Promise<string> {
  return (await check(await fetch(path, { credentials: 'same-origin', cache: 'no-store' }))).text();
}

/** POST JSON with the CSRF header; resolves with the JSON answer. */
export async function post<T>(path: string, body: unknown = {}): Promise<T> {
  const r = await fetch(path, {
    method: 'POST', credentials: 'same-origin', cache: 'no-store',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf() },
    body: JSON.stringify(body),
  });
  return (await check(r)).json() as Promise<T>;
}
