// Dead holders are reaped (docs/architecture.md#dead-holders): a sockizy client's socket
// whose heartbeat stopped (or never started) gives up its slot to the next
// sign-in the cap would refuse, and to the audit. Time is moved by ageing
// the socket's accept time in its attachment, as heartbeatTimeoutMs passing would.
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { adminGet, closeOpenClients, connect, runAudit, upgrade, userObject, waitSize } from "../helpers.js";

const user = userObject;

/** Makes every socket of uid's object look accepted `ms` ago. */
async function age(uid: string, ms: number): Promise<void> {
  await runInDurableObject(user(uid), (instance: unknown, state: DurableObjectState) => {
    const host = instance as { view(ws: WebSocket): { attachment: { at: number }; save(): void } };
    for (const ws of state.getWebSockets()) {
      const socket = host.view(ws);
      socket.attachment.at -= ms;
      socket.save();
    }
  });
}

afterEach(closeOpenClients);

describe("a sign-in the cap would refuse", () => {
  it("takes the slot of a sockizy client that never pinged within heartbeatTimeoutMs, which is closed", async () => {
    const dead = await connect({ signIn: ["D", "13"] });
    await dead.waitText("USER.OK | 13 | 1");
    await age("13", 60_000);
    const next = await connect({ signIn: ["D", "13"] });
    await next.waitText("USER.OK | 13 | 1");
    expect(next.texts).not.toContain("USER.MAX.CONN | 1 | 1");
    expect(await dead.closed).toBe(1001);
  });

  it("is still refused while the holder's pings are answered", async () => {
    const alive = await connect({ signIn: ["D", "13"] });
    await alive.waitText("USER.OK | 13 | 1");
    await age("13", 60_000);
    alive.send("#ping"); // answered by the runtime, which records when
    await alive.waitText("#pong");
    const next = await connect({ signIn: ["D", "13"] });
    await next.waitText("USER.MAX.CONN | 1 | 1");
    expect(alive.closeCode).toBeUndefined();
  });

  it("is still refused by a client without the heartbeat (no subprotocol): its silence proves nothing", async () => {
    const plain = await connect({ signIn: ["D", "13"], ctl: false });
    await plain.waitText("USER.OK | 13 | 1");
    await age("13", 60_000);
    const next = await connect({ signIn: ["D", "13"] });
    await next.waitText("USER.MAX.CONN | 1 | 1");
    expect(plain.closeCode).toBeUndefined();
  });
});

describe("a sockizy client that says its ping interval (?hb=)", () => {
  it("is never judged by its silence when it says it does not ping (hb=0)", async () => {
    const quiet = await connect({ signIn: ["D", "13"], hb: "0" });
    await quiet.waitText("USER.OK | 13 | 1");
    await age("13", 600_000);
    const next = await connect({ signIn: ["D", "13"] });
    await next.waitText("USER.MAX.CONN | 1 | 1");
    expect(quiet.closeCode).toBeUndefined();
  });

  it("is given two of its own intervals when it pings less often than the default", async () => {
    // Judged by the audit: a sign-in would probe it (test/edge/host/liveness.test.ts), and its
    // answer is a ping, which would prove it alive whatever its age.
    const slow = await connect({ signIn: ["D", "13"], hb: "60" });
    await slow.waitText("USER.OK | 13 | 1");
    await age("13", 100_000); // past heartbeatTimeoutMs (45 s), within 2 x 60 s
    expect(await runAudit(user("13"))).toBe(true);
    expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 1 });
    expect(slow.closeCode).toBeUndefined();
    await age("13", 30_000); // 130 s: past 2 x 60 s
    expect(await runAudit(user("13"))).toBe(true);
    expect(await slow.closed).toBe(1001);
  });

  it("is refused with 400 before any object when hb is not whole seconds", async () => {
    for (const hb of ["-1", "2.5", "x", "10000"]) {
      const res = await upgrade({ signIn: ["D", "13"], hb });
      expect(res.status, hb).toBe(400);
      expect(await res.text()).toMatch(/^hb: /);
    }
    expect(await adminGet("/admin/size")).toEqual({ size: 0 });
  });
});

describe("the audit", () => {
  it("lets a silent holder go and drops its uid from size", async () => {
    const dead = await connect({ signIn: ["D", "13"] });
    await dead.waitText("USER.OK | 13 | 1");
    expect(await adminGet("/admin/size")).toEqual({ size: 1 });
    await age("13", 60_000);
    expect(await runAudit(user("13"))).toBe(true);
    expect(await dead.closed).toBe(1001);
    await waitSize(0);
  });
});
