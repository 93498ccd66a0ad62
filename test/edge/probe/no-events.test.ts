// Without a sink (the probe deployment sets neither SESSION_WEBHOOK_URL nor
// SESSION_EVENTS), session events cost nothing: no outbox, no state, no
// table in any object (docs/events.md#cost).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, expect, it } from "vitest";
import { shardOf } from "../../../src/edge/registry/shards.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import { probeApp } from "./app.js";
import { ask, closeProbeClients, signedIn } from "./helpers.js";

const bindings = env as unknown as Env;
const tablesOf = (ns: DurableObjectNamespace, name: string) =>
  runInDurableObject(ns.get(ns.idFromName(name)), (_i, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((r) => r.name),
  );

afterEach(closeProbeClients);

it("stores nothing for events through sign-ins, sign-outs, closes and clears", async () => {
  const a = await signedIn("quiet");
  const b = await signedIn("quiet");
  await ask(a, "probe.delete", null, "deleted");
  await ask(b, "probe.clear", { uid: "" }, "cleared");
  b.close();
  await b.closed;
  const user = await tablesOf(bindings.USERS, "quiet");
  expect(user.filter((t) => t.startsWith("session_outbox"))).toEqual([]);
  const shard = await tablesOf(bindings.REGISTRY, `shard-${shardOf("quiet", probeApp.registryShards)}`);
  expect(shard).not.toContain("event_backlog");
});
