// The seed application (src/seed/app.ts) for a chaos run: cap 1, policy
// reject, its reply texts, its `session` handler that broadcasts every
// session message as text to every connected socket, and the admin API
// (ADMIN_SECRET is set in the "workers" project).
import { decodeControl } from "../../../src/protocol/control.js";
import { adminGet, adminPost, connect, signInFrame, signOutFrame, type TestClient } from "../helpers.js";
import type { Expected, Frame } from "./expect.js";
import type { Credentials, Effect, Outcome, SessionModel } from "./model.js";
import type { Op } from "./ops.js";
import { eachReceivable, type SizeOf, type Wire } from "./wire.js";

/** The seed's auth: login D, password 13 or 6. Anything else is refused. */
const login = (c: Credentials): [string, string] => ("uid" in c ? ["D", c.uid] : ["D", "12"]);

/** The seed's reply texts (spec section 5), written from the spec. */
function replyText(o: Outcome, size: (n: number) => string): string {
  switch (o.kind) {
    case "ok":
      return size(o.size);
    case "cap":
      return `USER.MAX.CONN | ${o.cap} | ${o.count}`;
    case "bad":
      return "USER.BAD | D | 12";
    default:
      return "USER.ERROR";
  }
}

export const seedWire: Wire = {
  name: "seed",
  rules: { cap: 1, policy: "reject", tickets: true },
  profile: {
    uids: ["13", "6"],
    maxOpen: 16,
    // docs/security.md#sign-in-rate-limits: 5 in-band sign-in attempts per socket in 10 s.
    inBandLimit: 5,
    calls: "admin",
    kick: true,
    disconnect: false,
  },
  registryShards: 64,
  disconnectCode: 0,

  open(credentials, ip, ctl) {
    return connect({ ...(credentials ? { signIn: login(credentials) } : {}), ip, ctl, viaQuery: !ctl });
  },

  async perform(op: Op, client: (id: number) => TestClient, model: SessionModel, expected: Expected) {
    switch (op.op) {
      case "signIn":
        client(op.id).send(signInFrame(...login(op.credentials)));
        return [];
      case "signOut":
        client(op.id).send(signOutFrame());
        return [];
      case "clear":
      case "kick": {
        const res = await adminPost("/admin/clear", { uid: op.uid, ...(op.op === "kick" ? { kick: true } : {}) });
        return res.ok ? [] : [`admin clear answered ${res.status}`];
      }
      case "emit": {
        const res = await adminPost("/admin/emit", { message: op.message, ...(op.uid ? { uid: op.uid } : {}) });
        return res.ok ? [] : [`admin emit answered ${res.status}`];
      }
      case "broadcast": {
        expected.addEach(
          model.live().map((s) => s.id),
          op.text,
        );
        const res = await adminPost("/admin/text", { text: op.text });
        return res.ok ? [] : [`admin text answered ${res.status}`];
      }
      case "count": {
        const got = (await adminGet(`/admin/count?uid=${op.uid}`)) as { count: number };
        const want = model.count(op.uid);
        return got.count === want ? [] : [`admin count(${op.uid}) answered ${got.count}, the model says ${want}`];
      }
      default:
        throw new Error(`seed wire: no op ${op.op}`);
    }
  },

  async askSize(c) {
    const before = c.received.length;
    const isAnswer = (f: unknown): f is string => typeof f === "string" && f.startsWith("USERS.ONLINE | ");
    c.send("USERS.ONLINE");
    await c.until((x) => x.received.slice(before).some(isAnswer));
    const frame = c.received.slice(before).find(isAnswer) as string;
    return { frame, size: Number(frame.split(" | ")[1]) };
  },

  async size() {
    const { size } = (await adminGet("/admin/size")) as { size: number };
    return size;
  },

  frames(effects: Effect[], model: SessionModel, expected: Expected, gone: Set<number>, size: SizeOf) {
    const live = model.live().map((s) => s.id);
    eachReceivable(effects, gone, (e, receivable) => {
      switch (e.kind) {
        case "reply": {
          if (e.outcome.kind === "ok") {
            const uid = e.outcome.uid;
            const text = size(uid, (n) => `USER.OK | ${uid} | ${n}`);
            if (receivable(e.to)) expected.add(e.to, text);
            // reply() calls session.emit(response): each socket of the uid runs the
            // `session` handler, which broadcasts the text to every connected socket.
            for (const _ of model.boundTo(uid)) expected.addEach(live, text);
          } else if (receivable(e.to)) {
            expected.add(e.to, replyText(e.outcome, String));
          }
          break;
        }
        case "control":
          if (receivable(e.to)) expected.add(e.to, `ctl:${e.t}`);
          break;
        case "session":
          // The seed's `session` handler: io.text(message) to every connected socket.
          expected.addEach(live, e.message);
          break;
        case "close":
          expected.close(e.to, e.code);
          break;
        // The seed has no session.clear or session.end handler.
      }
    });
  },

  describe(frame): Frame {
    if (typeof frame === "string") return frame;
    const control = decodeControl(frame);
    return control ? `ctl:${control.t}` : `binary:${[...frame].join(",")}`;
  },
};
