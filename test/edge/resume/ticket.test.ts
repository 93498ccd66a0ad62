// Session resume with signed tickets (docs/sign-in.md#session-resume).
import { evictDurableObject, runInDurableObject, SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { issueTicket, verifyTicket } from "../../../src/edge/resume/ticket.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import { type Control, decodeControl } from "../../../src/protocol/control.js";
import { adminPost, closeOpenClients, connect, signOutFrame, type TestClient, waitSize } from "../helpers.js";

const SECRET = "test-ticket-secret"; // vitest.config.ts binds TICKET_SECRET to this
const bindings = env as unknown as Env;

afterEach(closeOpenClients);

async function resumeWith(ticket: string): Promise<TestClient> {
  const c = await connect({ ticket });
  return c;
}

const controls = (c: TestClient): Control[] =>
  c.received.flatMap((m) => (typeof m === "string" ? [] : [decodeControl(m)].filter((x): x is Control => !!x)));
const ticketOf = (c: TestClient) => controls(c).find((m) => m.t === "ticket") as { ticket: string; exp: number };

describe("tickets", () => {
  it("verify when genuine and unexpired, and carry the uid", async () => {
    const { ticket } = await issueTicket(SECRET, 13, 0, 60_000);
    expect(await verifyTicket(SECRET, ticket)).toEqual({ uid: 13, epoch: 0 });
  });

  it("are refused when expired, forged, signed with another secret, or for another uid", async () => {
    const { ticket } = await issueTicket(SECRET, 13, 0, 1000, 0);
    expect(await verifyTicket(SECRET, ticket, 1001)).toBeNull();
    const good = (await issueTicket(SECRET, 13, 0, 60_000)).ticket;
    const [, exp, epoch, sig] = good.split(".");
    const other = (await issueTicket(SECRET, 6, 0, 60_000)).ticket.split(".")[0];
    expect(await verifyTicket(SECRET, [other, exp, epoch, sig].join("."))).toBeNull();
    expect(await verifyTicket("another secret", good)).toBeNull();
    expect(await verifyTicket(SECRET, `${good.slice(0, -2)}AA`)).toBeNull();
    expect(await verifyTicket(SECRET, "garbage")).toBeNull();
  });
});

describe("session resume", () => {
  it("gives a signed-in sockizy client a ticket before its USER.OK", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    const t = ticketOf(a);
    expect(t.exp).toBeGreaterThan(Date.now());
    // The user object's session epoch (0 until a clear; other files of the run may have cleared 13).
    const stub = bindings.USERS.get(bindings.USERS.idFromName("13"));
    const epoch = await runInDurableObject(stub, (_i, state) => state.storage.get<number>("epoch"));
    expect(await verifyTicket(SECRET, t.ticket)).toEqual({ uid: 13, epoch: epoch ?? 0 });
    expect(a.received.findIndex((m) => typeof m !== "string")).toBeLessThan(a.received.indexOf("USER.OK | 13 | 1"));
  });

  it("signs the user back in with the ticket after every socket was dropped", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    const { ticket } = ticketOf(a);
    const stub = bindings.USERS.get(bindings.USERS.idFromName("13"));
    await evictDurableObject(stub, { webSockets: "close" });
    await a.closed;
    const b = await resumeWith(ticket);
    await b.waitText("USER.OK | 13 | 1");
    expect(ticketOf(b)).toBeDefined();
  });

  it("refuses a forged ticket like a bad password: anonymous, told so, nothing bound", async () => {
    const { ticket } = await issueTicket("not the server's secret", 13, 0, 60_000);
    const b = await resumeWith(ticket);
    await b.until((c) => controls(c).length > 0);
    expect(controls(b)).toEqual([{ t: "resume", ok: false }]);
    expect(b.closeCode).toBeUndefined();
    const res = await SELF.fetch("http://edge.test/admin/size", {
      headers: { Authorization: "Bearer test-admin-secret" },
    });
    expect(await res.json()).toEqual({ size: 0 });
  });

  it("refuses an expired ticket", async () => {
    const { ticket } = await issueTicket(SECRET, 13, 0, 1, Date.now() - 10_000);
    const b = await resumeWith(ticket);
    await b.until((c) => controls(c).length > 0);
    expect(controls(b)).toEqual([{ t: "resume", ok: false }]);
  });

  it("refuses a ticket once its user signed out of the last socket", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    const { ticket } = ticketOf(a);
    a.send(signOutFrame());
    await waitSize(0);
    const b = await resumeWith(ticket);
    await b.until((c) => controls(c).length > 0);
    expect(controls(b)).toEqual([{ t: "resume", ok: false }]);
  });

  it("tells a sockizy client its socket was unbound by a sign-out or a clear, not by a close", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    a.send(signOutFrame());
    await a.until((c) => controls(c).some((m) => m.t === "unbound"));
    const b = await connect({ signIn: ["D", "6"] });
    await b.waitText("USER.OK | 6 | 1");
    await adminPost("/admin/clear", { uid: 6 });
    await b.until((c) => controls(c).some((m) => m.t === "unbound"));
    expect(controls(b).filter((m) => m.t === "unbound")).toHaveLength(1);
  });

  it("refuses a ticket issued before the uid was cleared (kicked)", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    const { ticket } = ticketOf(a);
    expect((await adminPost("/admin/clear", { uid: 13, kick: true })).status).toBe(200);
    expect(await a.closed).toBe(4003);
    const b = await resumeWith(ticket);
    await b.until((c) => controls(c).length > 0);
    expect(controls(b)).toEqual([{ t: "resume", ok: false }]);
    b.send(signOutFrame()); // still a working, unbound socket
  });
});
