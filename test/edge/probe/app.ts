// A probe application for the session tests: every session event and every
// `socket.session` call answers in text, so tests can watch spec section 5
// from the client side. Cap 2 with policy "replace-oldest".
import { createEdge, defineApp } from "../../../src/edge/index.js";

export const probeApp = defineApp({
  packets: {
    unpack: {
      "auth.signIn": ["user:str"],
      "probe.set": ["uid:str"],
      "probe.delete": null,
      "probe.clear": ["uid:str"],
      "probe.count": ["uid:str"],
      "probe.size": null,
      "probe.emit": ["msg:str", "uid:str"],
      "probe.emitAll": ["msg:str"],
      "probe.reply": ["how:str"],
      "probe.broadcast": ["text:str"],
      "probe.sessions": ["uid:str"],
    },
    pack: { "probe.news": ["text:str", "n:uint16"] },
  },
  signIn: {
    packet: "auth.signIn",
    authenticate({ user }) {
      if (user === "throw") throw new Error("auth backend down");
      return user === "" || user === "bad" ? null : user;
    },
    cap: 2,
    policy: "replace-oldest",
    reply(socket, outcome) {
      socket.text(`reply ${JSON.stringify(outcome)}`);
    },
  },
  // Short, so the broadcast tests see a slow object counted failed quickly.
  broadcastTimeoutMs: 500,
  // Small, so every probe test's broadcasts and scrapes go through slice objects (a handful of
  // online shards, or users of one shard, is more than 4): docs/scale.md#fan-out-bounded-per-invocation.
  fanOutBatch: 4,
  // Sessions are what this app probes; sign-in limits are tested with the seed app (test/edge/limits/limits.test.ts).
  limits: false,
  on: {
    async session(message) {
      // A user whose object answers slowly, for the broadcast timeout (test/edge/probe/scale.test.ts).
      if (this.session.uid === "slowpoke") await new Promise((r) => setTimeout(r, 3_000));
      this.text(`session ${String(message)}`);
    },
    "session.clear"(uid) {
      this.text(`clear ${uid}`);
    },
    // Told to every socket as well: the last socket may be closing, and tests count these.
    async "session.end"(uid, socket, io) {
      socket.text(`end ${uid}`);
      await io.text(`ended ${uid}`);
    },
    async "probe.set"({ uid }) {
      try {
        this.text(`set ${await this.session.set(uid)}`);
      } catch (e) {
        this.text(`set error: ${(e as Error).message}`);
      }
    },
    async "probe.delete"() {
      await this.session.delete();
      this.text(`deleted, uid ${this.session.uid}`);
    },
    async "probe.clear"({ uid }) {
      await this.session.clear(uid || undefined);
      this.text("cleared");
    },
    async "probe.count"({ uid }) {
      this.text(`count ${await this.session.count(uid || undefined)}`);
    },
    async "probe.size"() {
      this.text(`size ${await this.session.size()}`);
    },
    async "probe.emit"({ msg, uid }) {
      this.text(`emitted ${await this.session.emit(msg, uid || undefined)}`);
    },
    // The socket's own sends: one packet of the send table, JSON, or a close.
    "probe.reply"({ how }) {
      if (how === "emit") this.emit("probe.news", { text: "just you", n: 1 });
      if (how === "json") this.json({ kind: "json", list: [1, 2] });
      if (how === "disconnect") this.disconnect(4444, "probe says bye");
      if (how === "disconnect-long") this.disconnect(4000, "é".repeat(100)); // 200 bytes: above a close frame's 123
      if (how === "disconnect-bad") this.disconnect(1005, "not a code one may send");
    },
    async "probe.broadcast"({ text }, _socket, io) {
      await io.emit("probe.news", { text, n: 2 });
      await io.json({ broadcast: text });
    },
    text(data) {
      this.text(`echo ${data}`);
    },
    async "probe.emitAll"({ msg }, _socket, io) {
      await io.session.emit(msg);
      this.text("emitted all");
    },
    async "probe.sessions"({ uid }, _socket, io) {
      this.text(`sessions ${JSON.stringify(await io.session.list(uid))}`);
    },
  },
});

const edge = createEdge(probeApp);
export default edge.worker;
export const { UserObject, LobbyObject, RegistryObject, LimiterObject } = edge;
