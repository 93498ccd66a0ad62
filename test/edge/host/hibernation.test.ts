// State survives hibernation (derived from getWebSockets() and attachments),
// and a reset that drops sockets without close events does not leave ghost
// sessions once the audit alarm has run.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Outbox } from "../../../src/edge/events/outbox.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import {
  adminGet,
  closeOpenClients,
  connect,
  outboxOf,
  runAudit,
  signInFrame,
  signOutFrame,
  userObject,
  waitSize,
} from "../helpers.js";

const bindings = env as unknown as Env;
const user = userObject;
const lobby = (shard: number) => bindings.LOBBIES.get(bindings.LOBBIES.idFromName(`lobby-${shard}`));
const registry = () => bindings.REGISTRY.get(bindings.REGISTRY.idFromName("global"));

afterEach(() => {
  vi.restoreAllMocks();
  return closeOpenClients();
});

/** Evicts every object that may hold state, keeping sockets (hibernated). */
async function hibernateAll() {
  for (const stub of [user("13"), user("6"), registry(), lobby(0), lobby(1), lobby(2), lobby(3)]) {
    await evictDurableObject(stub).catch(() => {}); // not running: nothing to evict
  }
}

describe("after eviction with sockets hibernated", () => {
  it("keeps the cap, the bound uid and size between every step of the seed flow", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    await hibernateAll();
    const b = await connect({ signIn: ["D", "13"] });
    await b.waitText("USER.MAX.CONN | 1 | 1");
    await hibernateAll();
    expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 1 });
    await hibernateAll();
    const c = await connect({ signIn: ["D", "6"] });
    await c.waitText("USER.OK | 6 | 2");
    await hibernateAll();
    // The signed-in socket still signs out, as the bound uid lives in its attachment.
    a.send(signOutFrame());
    await waitSize(1);
    await hibernateAll();
    b.send(signInFrame("D", "13"));
    await b.waitText("USER.OK | 13 | 2");
    await hibernateAll();
    // Broadcasts still reach sockets of every object.
    const watcher = await connect();
    await hibernateAll();
    c.send(signOutFrame());
    c.send(signInFrame("D", "6"));
    await watcher.waitText("USER.OK | 6 | 2");
  });

  it("still answers the heartbeat and closes", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    await hibernateAll();
    a.send("#ping");
    await a.waitText("#pong");
    a.close();
    await a.closed;
    await waitSize(0);
  });
});

describe("no ghost sessions", () => {
  it("drops the uid from size once the audit alarm runs after a reset that closed sockets without events", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    expect(await adminGet("/admin/size")).toEqual({ size: 1 });
    await evictDurableObject(user("13"), { webSockets: "close" });
    // The object had an alarm armed while it held sockets.
    expect(await runAudit(user("13"))).toBe(true);
    await waitSize(0);
    // With no sockets left the audit stops: no more wakes.
    expect(await runAudit(user("13"))).toBe(false);
    // And the user can sign in again.
    const b = await connect({ signIn: ["D", "13"] });
    await b.waitText("USER.OK | 13 | 1");
  });

  it("drops the uid from size after a reset that came while an event's delivery was due: that wake keeps the audit", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    // The state a sign-in leaves when the outbox's alarm (its online event's delivery, due at
    // once) came before the audit's, so the sync armed none of its own: the alarm is the outbox's
    // and due. (Set here, with the alarm itself a minute off so that the runtime does not run it
    // first: that race is what this test pins down.)
    await runInDurableObject(user("13"), async (_instance, state) => {
      await state.storage.setAlarm(Date.now() + 60_000);
      const outbox = outboxOf(state) as Outbox; // made by the online event
      Object.assign(outbox.state(), { armedAt: Date.now() - 1, auditAt: null });
      outbox.save();
    });
    await evictDurableObject(user("13"), { webSockets: "close" });
    // The outbox's wake: it delivers, and keeps the audit, as the registry still counts 13.
    expect(await runDurableObjectAlarm(user("13"))).toBe(true);
    expect(await runDurableObjectAlarm(user("13"))).toBe(true);
    await waitSize(0);
    expect(await runDurableObjectAlarm(user("13"))).toBe(false);
  });

  it("recovers size when the registry call of a close failed: the audit says it again", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    // The next setUser fails once, as a call lost in a registry restart would; the object says so.
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    await runInDurableObject(user("13"), (instance: unknown) => {
      const host = instance as { registry: { setUser: (...args: unknown[]) => Promise<number> } };
      const real = host.registry;
      host.registry = {
        ...real,
        setUser: async () => {
          host.registry = real;
          throw new Error("network connection lost");
        },
      } as typeof real;
    });
    a.close();
    await a.closed;
    await new Promise((r) => setTimeout(r, 100));
    expect(await adminGet("/admin/size")).toEqual({ size: 1 }); // the ghost
    expect(logged).toHaveBeenCalledWith(
      "sockizy-edge: handling a close failed; the audit repairs it:",
      expect.objectContaining({ message: "network connection lost" }),
    );
    expect(await runAudit(user("13"))).toBe(true);
    await waitSize(0);
    expect(await runAudit(user("13"))).toBe(false);
  });

  it("keeps a healthy hibernating user counted and re-arms the audit", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    await evictDurableObject(user("13"));
    expect(await runAudit(user("13"))).toBe(true);
    expect(await adminGet("/admin/size")).toEqual({ size: 1 });
    expect(await runAudit(user("13"))).toBe(true);
  });
});
