// The probe application (test/edge/probe/app.ts) for a chaos run: cap 2,
// policy replace-oldest, no admin API, and every session event answered in
// text, so `session.clear`, `session.end` (to the socket, and "ended" to
// every socket) and each call's result are all seen by clients.
import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardOf } from "../../../src/edge/registry/shards.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import { globalStub } from "../../../src/edge/rpc/names.js";
import { decodeControl, toBase64Url } from "../../../src/protocol/control.js";
import { serverPackets } from "../../../src/protocol/index.js";
import { TestClient } from "../helpers.js";
import { probeApp } from "../probe/app.js";
import type { Expected, Frame } from "./expect.js";
import type { Credentials, Effect, Outcome, SessionModel, Uid } from "./model.js";
import type { Op } from "./ops.js";
import { eachReceivable, type SizeOf, type Wire } from "./wire.js";

const tables = serverPackets(probeApp.packets.unpack, probeApp.packets.pack);
const frame = (name: string, data: unknown) => tables.receive.encode(name as never, data as never);
const user = (c: Credentials) => ("uid" in c ? c.uid : "bad");

/** Four uids: two that share a registry shard, two more on shards of their own. */
function chaosUids(shards: number): Uid[] {
  const names = Array.from({ length: 500 }, (_, i) => `chaos${i}`);
  const [a] = names;
  const twin = names.find((n) => n !== a && shardOf(n, shards) === shardOf(a as string, shards)) as string;
  const others: Uid[] = [];
  for (const n of names) {
    const used = [a, twin, ...others].map((u) => shardOf(u as string, shards));
    if (others.length < 2 && !used.includes(shardOf(n, shards))) others.push(n);
  }
  return [a as string, twin, ...others];
}

/** The probe's `reply`: `reply <outcome as JSON>`. */
function replyText(o: Outcome): string {
  if (o.kind === "bad") return `reply ${JSON.stringify({ kind: "bad", data: { user: "bad" } })}`;
  return `reply ${JSON.stringify(o)}`;
}

/** Sends a probe packet and resolves to the first text after it that starts with `prefix`. */
async function ask(c: TestClient, name: string, data: unknown, prefix: string): Promise<string> {
  const before = c.received.length;
  c.send(frame(name, data));
  const answer = () => c.received.slice(before).find((f) => typeof f === "string" && f.startsWith(prefix));
  await c.until(() => answer() !== undefined);
  return answer() as string;
}

export const probeWire: Wire = {
  name: "probe",
  rules: { cap: probeApp.signIn.cap, policy: probeApp.signIn.policy, tickets: false },
  profile: {
    uids: chaosUids(probeApp.registryShards),
    maxOpen: 20,
    inBandLimit: null, // the probe app turns sign-in limits off
    calls: "socket",
    kick: false,
    disconnect: true,
  },
  registryShards: probeApp.registryShards,
  disconnectCode: 4444,

  async open(credentials, _ip, ctl) {
    const signIn = credentials && toBase64Url(frame("auth.signIn", { user: user(credentials) }));
    const url = new URL("http://probe.test/");
    const headers: Record<string, string> = { Upgrade: "websocket" };
    if (ctl) headers["Sec-WebSocket-Protocol"] = ["sockizy", ...(signIn ? [`sockizy.${signIn}`] : [])].join(", ");
    else if (signIn) url.searchParams.set("signin", signIn);
    const res = await SELF.fetch(url, { headers });
    if (!res.webSocket) throw new Error(`upgrade failed: ${res.status}`);
    return new TestClient(res.webSocket, res.headers.get("Sec-WebSocket-Protocol"));
  },

  async perform(op: Op, client: (id: number) => TestClient, model: SessionModel, expected: Expected) {
    const via = "via" in op && op.via !== undefined ? op.via : undefined;
    const caller = () => client(via as number);
    switch (op.op) {
      case "signIn":
        client(op.id).send(frame("auth.signIn", { user: user(op.credentials) }));
        break;
      case "signOut":
        client(op.id).send(frame("probe.delete", null));
        expected.add(op.id, "deleted, uid null");
        break;
      case "disconnect":
        client(op.id).send(frame("probe.reply", { how: "disconnect" }));
        break;
      case "clear":
        caller().send(frame("probe.clear", { uid: op.uid }));
        expected.add(via as number, "cleared");
        break;
      case "emit":
        if (op.uid === undefined) caller().send(frame("probe.emitAll", { msg: op.message }));
        else caller().send(frame("probe.emit", { msg: op.message, uid: op.uid }));
        expected.add(via as number, op.uid === undefined ? "emitted all" : "emitted true");
        break;
      case "broadcast": {
        const live = model.live().map((s) => s.id);
        expected.addEach(live, `news ${op.text} 2`);
        expected.addEach(live, JSON.stringify({ broadcast: op.text }));
        caller().send(frame("probe.broadcast", { text: op.text }));
        break;
      }
      case "count":
        caller().send(frame("probe.count", { uid: op.uid }));
        expected.add(via as number, `count ${model.count(op.uid)}`);
        break;
      default:
        throw new Error(`probe wire: no op ${op.op}`);
    }
    return [];
  },

  async askSize(c) {
    const answer = await ask(c, "probe.size", null, "size ");
    return { frame: answer, size: Number(answer.slice("size ".length)) };
  },

  size() {
    return globalStub(env as unknown as Env).size();
  },

  frames(effects: Effect[], model: SessionModel, expected: Expected, gone: Set<number>, size: SizeOf) {
    const live = model.live().map((s) => s.id);
    eachReceivable(effects, gone, (e, receivable) => {
      switch (e.kind) {
        case "reply":
          if (!receivable(e.to)) break;
          if (e.outcome.kind === "ok") {
            const { uid } = e.outcome;
            expected.add(
              e.to,
              size(uid, (n) => replyText({ kind: "ok", uid, size: n })),
            );
          } else {
            expected.add(e.to, replyText(e.outcome));
          }
          break;
        case "control":
          if (receivable(e.to)) expected.add(e.to, `ctl:${e.t}`);
          break;
        case "session":
          if (receivable(e.to)) expected.add(e.to, `session ${e.message}`);
          break;
        case "session.clear":
          if (receivable(e.to)) expected.add(e.to, `clear ${e.uid}`);
          break;
        case "session.end":
          // The probe's handler: `end <uid>` to the socket (lost if it is closing), `ended <uid>` to every socket.
          expected.addOneOf(e.to.filter(receivable), `end ${e.uid}`);
          expected.addEach(live, `ended ${e.uid}`);
          break;
        case "close":
          expected.close(e.to, e.code);
          break;
      }
    });
  },

  describe(f): Frame {
    if (typeof f === "string") return f;
    const control = decodeControl(f);
    if (control) return `ctl:${control.t}`;
    const { name, data } = tables.send.decode(f) as { name: string; data: { text: string; n: number } };
    return name === "probe.news" ? `news ${data.text} ${data.n}` : `binary ${name}`;
  },
};
