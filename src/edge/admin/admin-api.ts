// The HTTP admin API: `io.session` for a backend. Off unless ADMIN_SECRET
// is set (`wrangler secret put ADMIN_SECRET`); every call carries
// `Authorization: Bearer <secret>`. docs/operations.md#admin-api lists the routes.

import { CLOSE } from "../../protocol/control.js";
import type { Uid } from "../app/define-app.js";
import type { Env } from "../rpc/env.js";
import { globalStub, userStub } from "../rpc/names.js";
import { DASHBOARD_PATH, dashboardPage } from "./dashboard-page.js";
import { prometheus } from "./metrics.js";

const KICKED = { code: CLOSE.kicked, reason: "kicked" };

export async function handleAdmin(request: Request, env: Env): Promise<Response> {
  if (!env.ADMIN_SECRET) return json(404, { error: "the admin API is off (set the ADMIN_SECRET secret)" });
  const url = new URL(request.url);
  // The dashboard's page holds no secret: it asks for one (docs/dashboard.md#signing-in).
  if (url.pathname === DASHBOARD_PATH) return dashboardPage(request, env);
  if (!(await secretMatches(request.headers.get("Authorization") ?? "", `Bearer ${env.ADMIN_SECRET}`))) {
    return json(401, { error: "wrong or missing Authorization: Bearer <secret>" });
  }
  const route = `${request.method} ${url.pathname}`;
  const registry = globalStub(env);
  try {
    switch (route) {
      case "GET /admin/metrics":
        // Prometheus text format 0.0.4 (docs/operations.md#metrics).
        return new Response(prometheus(await registry.metrics()), {
          headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      case "GET /admin/size":
        return json(200, { size: await registry.size() });
      case "GET /admin/stats":
        return json(200, await registry.stats());
      case "GET /admin/count": {
        const uid = url.searchParams.get("uid");
        if (!uid) return json(400, { error: "uid query parameter required" });
        return json(200, { uid, count: await userStub(env, uid).count(uid) });
      }
      case "GET /admin/sessions": {
        // docs/operations.md#sessions-of-a-user
        const uid = url.searchParams.get("uid");
        if (!uid) return json(400, { error: "uid query parameter required" });
        return json(200, { uid, sessions: await userStub(env, uid).sessions(uid) });
      }
      case "POST /admin/kick": {
        const body = await readBody(request);
        const uid = body.uid as Uid | undefined;
        if ((typeof uid !== "string" && typeof uid !== "number") || uid === "") {
          return json(400, { error: 'body needs "uid" (a string or a number)' });
        }
        if (body.socket === undefined) {
          await userStub(env, uid).clear(uid, KICKED);
          return json(200, { ok: true });
        }
        if (typeof body.socket !== "string" || body.socket === "") {
          return json(400, { error: '"socket" must be a session id from GET /admin/sessions (a string)' });
        }
        if (!(await userStub(env, uid).kick(uid, body.socket))) {
          return json(404, { error: `uid ${uid} has no session ${JSON.stringify(body.socket)}` });
        }
        return json(200, { ok: true });
      }
      case "POST /admin/emit": {
        const body = await readBody(request);
        if (!("message" in body)) return json(400, { error: 'body needs "message"' });
        const uid = body.uid as Uid | undefined;
        if (uid !== undefined && typeof uid !== "string" && typeof uid !== "number") {
          return json(400, { error: '"uid" must be a string or a number' });
        }
        if (uid !== undefined) {
          await userStub(env, uid).sessionEmit(body.message, uid);
          return json(200, { ok: true });
        }
        // The user objects the broadcast reached, and those that failed or timed out.
        const { ok, failed } = await registry.sessionEmitAll(body.message);
        return json(200, { ok: true, reached: ok, failed });
      }
      case "POST /admin/clear": {
        const body = await readBody(request);
        const uid = body.uid as Uid | undefined;
        if (typeof uid !== "string" && typeof uid !== "number") return json(400, { error: 'body needs "uid"' });
        const close = body.kick === true ? KICKED : undefined;
        await userStub(env, uid).clear(uid, close);
        return json(200, { ok: true });
      }
      case "POST /admin/text": {
        const body = await readBody(request);
        if (typeof body.text !== "string") return json(400, { error: 'body needs "text" (a string)' });
        await registry.broadcast(body.text);
        return json(200, { ok: true });
      }
      default:
        return json(404, { error: `no admin route ${route}` });
    }
  } catch (e) {
    if (e instanceof BadBody) return json(400, { error: e.message });
    throw e;
  }
}

class BadBody extends Error {}

async function readBody(request: Request): Promise<Record<string, unknown>> {
  try {
    const body = await request.json();
    if (body !== null && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new BadBody("the body must be a JSON object");
}

/**
 * Compares in constant time: both sides are hashed first so the comparison
 * is over equal lengths and leaks neither content nor length.
 */
async function secretMatches(given: string, expected: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(given)),
    crypto.subtle.digest("SHA-256", enc.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** Answers carry uids and figures for the operator alone: no cache keeps them. */
function json(status: number, body: unknown): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store" } });
}
