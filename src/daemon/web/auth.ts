/**
 * Who is asking: the bearer token (API clients) or a dashboard session (a
 * cookie set by the login form). Sessions live in memory only (a daemon restart
 * logs everyone out), are bounded in number and expire; each carries its own
 * CSRF token. Failed logins are rate-limited per remote address and overall.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseCookies } from '../http.js';
import { bearerMatches } from '../token.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'privroute_session';
/** The login form's pre-session CSRF cookie (double submit: cookie == hidden field). */
export const LOGIN_COOKIE = 'privroute_login';
/** The header the dashboard sends its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** One logged-in browser. */
export interface Session {
  id: string;
  csrf: string;
  expiresAt: number;
}

/** An authenticated request: by bearer header, or by session cookie. */
export type Principal = { via: 'bearer' } | { via: 'session'; session: Session };

/** Options of {@link Auth}. */
export interface AuthOptions {
  /** Session lifetime (default 12 h). */
  sessionTtlMs?: number;
  /** At most this many live sessions; the oldest is dropped beyond (default 64). */
  maxSessions?: number;
  /** Failed logins allowed per address per window (default 5). */
  failuresPerAddress?: number;
  /** Failed logins allowed from all addresses per window (default 30). */
  failuresTotal?: number;
  /** The rate-limit window (default 60 s). */
  windowMs?: number;
  now?: () => number;
}

/** Equal strings, compared in constant time (for equal lengths). */
export function secretEquals(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A fresh random token (URL-safe). */
export const randomToken = (): string => randomBytes(32).toString('base64url');

/** Token check, sessions and the login rate limit of one daemon. */
export class Auth {
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, number[]>();
  private readonly o: Required<Omit<AuthOptions, 'now'>>;
  private readonly now: () => number;

  constructor(
    private readonly token: string,
    opts: AuthOptions = {},
  ) {
    this.o = { sessionTtlMs: 12 * 3600_000, maxSessions: 64, failuresPerAddress: 5, failuresTotal: 30, windowMs: 60_000, ...opts };
    this.now = opts.now ?? Date.now;
  }

  /** The request's principal, or null (unauthenticated). Bearer first, then the session cookie. */
  principal(req: IncomingMessage): Principal | null {
    if (req.headers.authorization !== undefined) return bearerMatches(req.headers.authorization, this.token) ? { via: 'bearer' } : null;
    const s = this.session(parseCookies(req.headers.cookie).get(SESSION_COOKIE));
    return s ? { via: 'session', session: s } : null;
  }

  private session(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  /**
   * May this principal change state? Bearer: yes (no ambient credential a
   * foreign page could ride on). Session: only with its CSRF token in the
   * `x-csrf-token` header and, when the browser says where it comes from, a
   * same-origin Origin.
   */
  csrfOk(p: Principal, req: IncomingMessage): boolean {
    if (p.via === 'bearer') return true;
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}` && origin !== `https://${req.headers.host ?? ''}`) return false;
    const h = req.headers[CSRF_HEADER];
    return typeof h === 'string' && secretEquals(h, p.session.csrf);
  }

  /** Seconds until `addr` may try again, or 0 when a login attempt is allowed now. */
  retryAfter(addr: string): number {
    const cut = this.now() - this.o.windowMs;
    let all: number[] = [];
    for (const [k, v] of this.failures) {
      const live = v.filter((t) => t > cut);
      if (live.length) this.failures.set(k, live);
      else this.failures.delete(k);
      all = all.concat(live);
    }
    const mine = this.failures.get(addr) ?? [];
    const blockedBy = mine.length >= this.o.failuresPerAddress ? mine : all.length >= this.o.failuresTotal ? all : null;
    if (!blockedBy) return 0;
    return Math.max(1, Math.ceil((Math.min(...blockedBy) + this.o.windowMs - this.now()) / 1000));
  }

  /**
   * A login attempt with `candidate` from `addr` (call only when
   * {@link retryAfter} is 0). Right token: a new session. Wrong: the failure
   * is counted and null returned.
   */
  login(addr: string, candidate: string): Session | null {
    if (!secretEquals(candidate, this.token)) {
      this.failures.set(addr, [...(this.failures.get(addr) ?? []), this.now()]);
      return null;
    }
    this.failures.delete(addr);
    if (this.sessions.size >= this.o.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    const s: Session = { id: randomToken(), csrf: randomToken(), expiresAt: this.now() + this.o.sessionTtlMs };
    this.sessions.set(s.id, s);
    return s;
  }

  /** End a session. */
  logout(s: Session): void {
    this.sessions.delete(s.id);
  }

  /** The session lifetime in seconds (the cookie's Max-Age). */
  get sessionTtlSec(): number {
    return Math.floor(this.o.sessionTtlMs / 1000);
  }
}
