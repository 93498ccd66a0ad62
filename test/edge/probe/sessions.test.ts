// A user's sessions with two sockets (the probe's cap is 2): `io.session.list`
// from a handler, and POST /admin/kick with a socket id closing that one
// only (docs/operations.md#sessions-of-a-user). The probe deployment has no
// ADMIN_SECRET, so the admin routes are called with an env that has one.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { handleAdmin } from "../../../src/edge/admin/admin-api.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import type { SessionInfo } from "../../../src/edge/sockets/socket.js";
import { type Control, decodeControl } from "../../../src/protocol/control.js";
import type { TestClient } from "../helpers.js";
import { ask, closeProbeClients, connect, signedIn } from "./helpers.js";

const bindings = env as unknown as Env;
const withSecret = { ...bindings, ADMIN_SECRET: "probe-admin" };
const user = (uid: string) => bindings.USERS.get(bindings.USERS.idFromName(uid));

afterEach(closeProbeClients);

function admin(method: "GET" | "POST", path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method, headers: { Authorization: "Bearer probe-admin" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  return handleAdmin(new Request(`http://probe.test${path}`, init), withSecret);
}

async function listed(c: TestClient, uid: string): Promise<SessionInfo[]> {
  return JSON.parse((await ask(c, "probe.sessions", { uid }, "sessions ")).slice("sessions ".length));
}

const controls = (c: TestClient): Control[] =>
  c.received.flatMap((m) => (typeof m === "string" ? [] : [decodeControl(m)].filter((x): x is Control => !!x)));

describe("io.session.list(uid)", () => {
  it("lists each bound socket of the uid, oldest first, from any object", async () => {
    const a = await signedIn("alice");
    const b = await signedIn("alice");
    const other = await connect();
    const list = await listed(other, "alice");
    expect(list.map((s) => s.path)).toEqual(["direct", "direct"]);
    expect(list[0]?.since).toBeLessThanOrEqual(list[1]?.since as number);
    // The admin route answers the same list.
    const res = await admin("GET", "/admin/sessions?uid=alice");
    expect(await res.json()).toEqual({ uid: "alice", sessions: list });
    // A signed-out socket is no session.
    await ask(a, "probe.delete", null, "deleted");
    expect((await listed(b, "alice")).map((s) => s.id)).toEqual([list[1]?.id]);
    expect(await listed(b, "nobody")).toEqual([]);
  });
});

describe("POST /admin/kick with a socket id", () => {
  it("closes that socket with 4003 and leaves the user's other socket open and bound", async () => {
    const a = await signedIn("alice");
    const b = await signedIn("alice");
    const [first, second] = (await listed(a, "alice")) as [SessionInfo, SessionInfo];
    const res = await admin("POST", "/admin/kick", { uid: "alice", socket: second.id });
    expect(res.status).toBe(200);
    expect(await b.closed).toBe(4003);
    // The kicked socket got session.clear and no session.end: alice still holds a.
    expect(b.texts).toContain("clear alice");
    expect(b.texts).not.toContain("end alice");
    expect(a.closeCode).toBeUndefined();
    expect(a.texts).not.toContain("clear alice");
    expect(await ask(a, "probe.count", { uid: "" }, "count")).toBe("count 1");
    expect((await listed(a, "alice")).map((s) => s.id)).toEqual([first.id]);
    // Kicking the last one ends the session.
    expect((await admin("POST", "/admin/kick", { uid: "alice", socket: first.id })).status).toBe(200);
    expect(await a.closed).toBe(4003);
    expect(a.texts).toContain("end alice");
  });

  it("gives the user's other sockets fresh resume tickets, the kicked one's being void", async () => {
    const a = await signedIn("alice");
    const b = await signedIn("alice");
    // Resume on for this object only (the probe deployment has no TICKET_SECRET).
    await runInDurableObject(user("alice"), (instance: unknown) => {
      const tickets = (instance as { tickets: { env: Env } }).tickets;
      tickets.env = { ...tickets.env, TICKET_SECRET: "probe-ticket" };
    });
    const [, second] = (await listed(a, "alice")) as [SessionInfo, SessionInfo];
    expect(controls(a).filter((m) => m.t === "ticket")).toEqual([]);
    await admin("POST", "/admin/kick", { uid: "alice", socket: second.id });
    expect(await b.closed).toBe(4003);
    await a.until((c) => controls(c).some((m) => m.t === "ticket"));
    expect(controls(b).filter((m) => m.t === "ticket")).toEqual([]);
  });

  it("answers 404 for a socket id the uid does not hold, leaving its sockets be", async () => {
    const a = await signedIn("alice");
    const bob = await signedIn("bob");
    const [bobs] = (await listed(a, "bob")) as [SessionInfo];
    const res = await admin("POST", "/admin/kick", { uid: "alice", socket: bobs.id });
    expect(res.status).toBe(404);
    expect(await ask(bob, "probe.count", { uid: "" }, "count")).toBe("count 1");
    expect(await ask(a, "probe.count", { uid: "" }, "count")).toBe("count 1");
  });
});
