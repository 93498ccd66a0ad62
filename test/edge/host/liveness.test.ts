// The liveness probe (docs/sign-in.md#liveness-probe): when the cap would
// refuse a sign-in, the sockets in its way that can answer are asked
// whether they are alive; one silent for probeTimeoutMs (3 s, the seed
// app's default) is closed and the sign-in takes its seat. The test
// clients answer a probe with `#ping` as a sockizy client does, unless a
// test makes one vanish (`answersProbes = false`).
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { type App, DEFAULTS } from "../../../src/edge/app/define-app.js";
import { Liveness } from "../../../src/edge/host/liveness.js";
import type { EdgeSocket } from "../../../src/edge/sockets/socket.js";
import { decodeControl } from "../../../src/protocol/control.js";
import { USERS_ONLINE } from "../../../src/seed/app.js";
import {
  closeOpenClients,
  connect,
  runAudit,
  signInFrame,
  signOutFrame,
  type TestClient,
  userObject,
} from "../helpers.js";

const user = userObject;
const PROBE_MS = DEFAULTS.probeTimeoutMs;

/** Probes a client was sent. */
const probes = (c: TestClient) => control(c, "probe");

async function holder(opts: { hb?: string; ctl?: boolean } = {}): Promise<TestClient> {
  const c = await connect({ signIn: ["D", "13"], ...opts });
  await c.waitText("USER.OK | 13 | 1");
  return c;
}

const REFUSED = "USER.MAX.CONN | 1 | 1";
const control = (c: TestClient, t: string) =>
  c.received.filter((m) => typeof m !== "string" && decodeControl(m)?.t === t).length;

/**
 * A sign-in of uid 13: how long its upgrade took (the cap, and any probe,
 * is decided before the 101) and whether it was admitted (its resume ticket
 * comes first) or refused. Its texts are no proof: the seed broadcasts
 * every "USER.OK" to every socket.
 */
async function signIn(): Promise<{ c: TestClient; ms: number; admitted: boolean }> {
  const t0 = Date.now();
  const c = await connect({ signIn: ["D", "13"] });
  const ms = Date.now() - t0;
  await c.until((x) => control(x, "ticket") > 0 || x.texts.includes(REFUSED));
  return { c, ms, admitted: control(c, "ticket") > 0 };
}

afterEach(closeOpenClients);

describe("a sign-in the cap would refuse", () => {
  it("probes the socket in its way; a live one answers and the sign-in is refused as today, without waiting out the probe time", async () => {
    const alive = await holder();
    const { admitted, ms } = await signIn();
    expect(admitted).toBe(false);
    expect(probes(alive)).toBe(1);
    expect(ms).toBeLessThan(PROBE_MS);
    expect(alive.closeCode).toBeUndefined();
  });

  it("closes a silent one (1001) after the probe time and admits the sign-in", async () => {
    const vanished = await holder();
    vanished.answersProbes = false;
    const { admitted, ms } = await signIn();
    expect(admitted).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(PROBE_MS - 50);
    expect(await vanished.closed).toBe(1001);
    expect(probes(vanished)).toBe(1);
  });

  it("keeps today's rule for a client that says it does not ping (hb=0): no probe, refused", async () => {
    const quiet = await holder({ hb: "0" });
    quiet.answersProbes = false;
    expect((await signIn()).admitted).toBe(false);
    expect(probes(quiet)).toBe(0);
    expect(quiet.closeCode).toBeUndefined();
  });

  it("keeps today's rule for the original client (no sockizy subprotocol): no probe, refused", async () => {
    const plain = await holder({ ctl: false });
    expect((await signIn()).admitted).toBe(false);
    expect(probes(plain)).toBe(0);
    expect(plain.closeCode).toBeUndefined();
  });

  it("does not hold up other frames or sign-ins of the object while it waits; a second sign-in waits on the same probe", async () => {
    const other = await holder();
    await signOut(other); // stays in uid 13's object, unbound
    const vanished = await holder();
    vanished.answersProbes = false;
    const first = signIn();
    const second = signIn();
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    other.send(USERS_ONLINE);
    await other.until((c) => c.texts.some((t) => t.startsWith(`${USERS_ONLINE} | `)), PROBE_MS);
    expect(Date.now() - t0).toBeLessThan(PROBE_MS / 2);
    const admitted = (await Promise.all([first, second])).map((x) => x.admitted);
    expect(admitted.sort()).toEqual([false, true]);
    expect(probes(vanished)).toBe(1);
    expect(await vanished.closed).toBe(1001);
  });
});

describe("an in-band sign-in the cap would refuse", () => {
  it("waits for the probe too; the socket's other frames are handled meanwhile, another sign-in on it is ignored", async () => {
    const x = await holder();
    await signOut(x); // stays in uid 13's object, unbound: it signs in again with a frame
    const tickets = control(x, "ticket"); // its first sign-in's
    const vanished = await holder();
    vanished.answersProbes = false;
    const t0 = Date.now();
    x.send(signInFrame("D", "13"));
    await vanished.until((c) => probes(c) === 1);
    x.send(signInFrame("D", "13")); // still signing in: ignored
    x.send(USERS_ONLINE);
    await x.until((c) => c.texts.some((t) => t.startsWith(`${USERS_ONLINE} | `)));
    expect(Date.now() - t0).toBeLessThan(PROBE_MS);
    expect(control(x, "ticket")).toBe(tickets);
    await x.until((c) => control(c, "ticket") > tickets, PROBE_MS + 5000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(PROBE_MS - 50);
    expect(await vanished.closed).toBe(1001);
    await new Promise((r) => setTimeout(r, 300));
    expect(control(x, "ticket")).toBe(tickets + 1);
    expect(x.texts.filter((t) => t === REFUSED)).toEqual([]);
  });
});

describe("no probe", () => {
  it("below the cap: with cap 2, one holder is not asked, and it is when the cap is reached", async () => {
    const sent: string[] = [];
    const socket = (id: string) =>
      ({
        id,
        ws: { readyState: WebSocket.READY_STATE_OPEN },
        attachment: { id, uid: 13, ctl: true, at: 0 },
        save() {},
        send: () => sent.push(id),
      }) as unknown as EdgeSocket;
    const bound = [socket("a")];
    // Every probe answered at once: the runtime's record of a #ping is always "now".
    const ctx = { getWebSocketAutoResponseTimestamp: () => new Date(Date.now() + 1) } as unknown as DurableObjectState;
    const host = { bound: () => bound, members: () => 0, reapDead: async () => {} };
    const liveness = new Liveness(
      ctx,
      { signIn: { cap: 2, policy: "reject" } as App["signIn"], probeTimeoutMs: 3000 },
      host,
    );
    await liveness.clearWay("new");
    expect(sent).toEqual([]);
    bound.push(socket("b"));
    await liveness.clearWay("new");
    expect(sent).toEqual(["a", "b"]);
  });

  it("below the cap: a signed-out socket of the uid is not asked", async () => {
    const out = await holder();
    await signOut(out);
    const { admitted, ms } = await signIn();
    expect(admitted).toBe(true);
    expect(probes(out)).toBe(0);
    expect(ms).toBeLessThan(PROBE_MS);
  });
});

describe("after a wake", () => {
  it("a probe that went unanswered is judged by the audit: the socket is closed with 1001", async () => {
    const vanished = await holder();
    vanished.answersProbes = false;
    await runInDurableObject(user("13"), (instance: unknown, state: DurableObjectState) => {
      const host = instance as { view(ws: WebSocket): { attachment: { pr?: number }; save(): void } };
      for (const ws of state.getWebSockets()) {
        const socket = host.view(ws);
        socket.attachment.pr = Date.now() - PROBE_MS - 1;
        socket.save();
      }
    });
    expect(await runAudit(user("13"))).toBe(true);
    expect(await vanished.closed).toBe(1001);
  });
});

/** Signs a client out and waits for the server's word that it is unbound. */
async function signOut(c: TestClient): Promise<void> {
  c.send(signOutFrame());
  await c.until((x) => x.received.some((m) => typeof m !== "string" && decodeControl(m)?.t === "unbound"));
}
