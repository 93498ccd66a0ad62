// Sign-in rate limits, the caller's side (docs/security.md#sign-in-rate-limits). Every
// sign-in, on every path, first takes one attempt from its counters in the
// limiter objects, one per counter (src/edge/limits/limiter-object.ts): per (key, client IP) and per
// client IP. The attempt is taken *before* `authenticate` and held while it
// runs, so a burst of concurrent wrong passwords cannot overrun the limit;
// it is counted only if the password was wrong: a success never counts.
import type { App } from "../app/define-app.js";
import type { Counter, Settled, Taken } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { limiterStub } from "../rpc/names.js";
import type { AttemptLimit } from "./options.js";

/** What a request without `CF-Connecting-IP` counts under (only off Cloudflare: local runs and tests). */
export const UNKNOWN_IP = "unknown";

/** The client's address: Cloudflare sets `CF-Connecting-IP` on every request and a client cannot forge it there. */
export function clientIp(request: Request): string {
  return request.headers.get("CF-Connecting-IP") ?? UNKNOWN_IP;
}

/** How a sign-in attempt that was let through ends: only "failed" (a wrong password) stays counted. */
export type Result = Settled;

export type Admission =
  | { readonly limited: false; settle(result: Result): Promise<void> }
  | { readonly limited: true; readonly retryAfter: number };

const ADMITTED: Admission = { limited: false, settle: async () => {} };
/** How long a sign-in waits for a place among attempts in flight before it is refused (Retry-After 1). */
const BUSY_WAIT_MS = 20_000;
let warned = false;

/**
 * Takes one attempt for a sign-in from `ip` naming `key` (null: none). When
 * a counter is at its limit of failures nothing is taken and the answer is
 * `limited` with the seconds until it frees (at least 1), for `Retry-After`.
 * The caller settles an admitted attempt once `authenticate` answered.
 */
export async function admit(app: App, env: Env, ip: string, key: string | null): Promise<Admission> {
  const { perKey, perIp } = app.limits;
  const wanted: [string, AttemptLimit][] = [];
  if (perKey && key !== null) wanted.push([`k\n${key}\n${ip}`, perKey]);
  if (perIp) wanted.push([`i\n${ip}`, perIp]);
  if (wanted.length === 0) return ADMITTED;
  const ns = env.LIMITER;
  if (ns === undefined) {
    if (!warned)
      console.error(
        "sockizy-edge: no LIMITER binding, so sign-ins are not rate limited (docs/security.md#sign-in-rate-limits)",
      );
    warned = true;
    return ADMITTED;
  }
  const counters: Counter[] = await Promise.all(
    wanted.map(async ([text, l]) => ({ name: await hashed(text), attempts: l.attempts, windowMs: l.windowMs })),
  );
  // A success clears its (key, IP) count: the user who mistyped and then got in starts afresh.
  const reset = perKey && key !== null ? [counters[0]?.name as string] : [];
  // Each counter is an object of its own: one call per counter (one or two), made in parallel.
  const calls = counters.map((c) => ({ stub: limiterStub(ns, c.name), list: [c] }));
  const settleAll = (taken: boolean[], result: Settled): Promise<void> =>
    Promise.all(calls.map((c, i) => (taken[i] ? c.stub.settle(c.list, result, reset) : undefined))).then(
      () => {},
      (e) => console.error("sockizy-edge: settling a sign-in attempt with the limiter failed:", e),
    );
  const deadline = Date.now() + BUSY_WAIT_MS;
  let waited = 0;
  for (;;) {
    let answers: Taken[];
    try {
      answers = await Promise.all(calls.map((c) => c.stub.take(c.list)));
    } catch (e) {
      // A limiter object that cannot be reached must not lock every user out: let the sign-in through.
      console.error("sockizy-edge: the sign-in limiter failed; this sign-in is not limited:", e);
      return ADMITTED;
    }
    const taken = answers.map((a) => a.ok);
    if (taken.every(Boolean)) return { limited: false, settle: (result) => settleAll(taken, result) };
    // All or nothing: what one counter took is given back when another refused.
    await settleAll(taken, "dropped");
    const waits = answers.flatMap((a) => ("retryAfterMs" in a ? [a.retryAfterMs] : []));
    if (waits.length > 0) return { limited: true, retryAfter: Math.max(1, Math.ceil(Math.max(...waits) / 1000)) };
    // Busy: as many attempts are in flight as the counter has room for
    // failures. They end within one authenticate call; wait for a place.
    if (Date.now() > deadline) return { limited: true, retryAfter: 1 };
    // Backing off (40 ms, doubling to 320 ms, jittered), so a burst of waiters does not flood the counter's object.
    waited++;
    await new Promise((r) => setTimeout(r, (20 << Math.min(waited, 4)) * (0.5 + Math.random())));
  }
}

/** The app's key for this sign-in data; a hook that throws or returns a non-string gives no key. */
export function signInKey(app: App, data: unknown): string | null {
  try {
    const key = app.limits.key(data);
    return typeof key === "string" ? key : null;
  } catch (e) {
    console.error("sockizy-edge: limits.key failed:", e);
    return null;
  }
}

const enc = new TextEncoder();

/**
 * SHA-256 of what is counted: storage never holds a login or an IP. Each
 * counter has an object of its own, named by the hash, so an object sees
 * only the sign-ins of one IP, or of one (key, IP): no limiter object is on
 * every sign-in's path at any scale (docs/scale.md).
 */
async function hashed(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(text)));
  let name = "";
  for (const b of digest) name += b.toString(16).padStart(2, "0");
  return name;
}

// ---------------------------------------------------------------- per socket

// Attempts on one socket, in memory: a window of seconds outlives no
// hibernation that matters, since an object only hibernates after seconds
// without events. Weak, so a closed socket's entry goes with it.
const perSocket = new WeakMap<WebSocket, { start: number; n: number }>();

/**
 * Counts one in-band attempt on `ws`; the seconds to wait when the socket
 * is over its limit (nothing counted then), else 0.
 */
export function socketAttempt(app: App, ws: WebSocket, now = Date.now()): number {
  const l = app.limits.perSocket;
  if (l === null) return 0;
  let w = perSocket.get(ws);
  if (w === undefined || now - w.start >= l.windowMs) {
    w = { start: now, n: 0 };
    perSocket.set(ws, w);
  }
  if (w.n >= l.attempts) return Math.max(1, Math.ceil((w.start + l.windowMs - now) / 1000));
  w.n++;
  return 0;
}
