// What the user object and the lobby share: holding hibernatable
// WebSockets, decoding their frames, dispatching to the application's
// handlers, the sign-in packet, close handling and the registry sync.
//
// Hibernation (https://developers.cloudflare.com/durable-objects/best-practices/websockets/):
// the instance may be thrown away between any two events, so nothing here
// keeps per-socket state in memory. Sockets come from `ctx.getWebSockets()`,
// their state from attachments, the object's own facts from storage.
import { DurableObject } from "cloudflare:workers";
import { CLOSE, encodeControl, PING, PONG, SUBPROTOCOL, toBase64Url } from "../../protocol/control.js";
import { DecodeError, type PacketTables } from "../../protocol/index.js";
import { utf8Length } from "../../protocol/utf8.js";
import { bump, C, type Counters, type ObjectClass, type SignInMetric } from "../admin/metrics.js";
import type { App, SignInOutcome, Uid } from "../app/define-app.js";
import { tablesOf } from "../app/tables.js";
import { admit, keyOf, socketAttempt, UNKNOWN_IP } from "../limits/attempts.js";
import { Relay } from "../relay/holder.js";
import type { Frame, GlobalRpc, HolderRef, RelayHolderRpc, ShardRpc, UserState } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { globalStub, shardStub, stubCache, userStub } from "../rpc/names.js";
import { EdgeIo } from "../sockets/io.js";
import { type Attachment, EdgeSocket, type ServerSocket, type SocketOwner } from "../sockets/socket.js";

/** What an object last told the registry about itself (kept in storage under "reg"). */
export interface Told {
  /** The registry shard told (a user object), or the lobby's own number. */
  where: number;
  /** The part of the state that object reports (all of it for a user, `online` for a lobby). */
  said: string;
}

/**
 * The registry calls objects make, one stub per target kept for the
 * object's life, so calls to one target arrive in the order they were made.
 */
export interface RegistryClient {
  setUser: ShardRpc["setUser"];
  shardSize(shard: number): Promise<number>;
  setLobby(shard: number, online: boolean): Promise<void>;
}

function registryClient(env: Env): RegistryClient {
  const shard = stubCache((n: number) => shardStub(env, n));
  // Made at first use: only lobbies call the global object, and a stub costs an idFromName.
  let global: GlobalRpc | undefined;
  return {
    setUser: (n, uid, state, counters) => shard(n).setUser(n, uid, state, counters),
    shardSize: (n) => shard(n).shardSize(n),
    setLobby: (n, online) => {
      global ??= globalStub(env);
      return global.setLobby(n, online);
    },
  };
}

// Close codes that are never sent on the wire (RFC 6455 section 7.4.1).
// 1006 and 1015 mean no close frame came, so there is nothing to answer;
// 1005 means a close frame came without a code, answered without one.
const NO_CLOSE_FRAME = new Set([1006, 1015]);
const NO_CODE = 1005;
// Codes below 3000 that an endpoint may send (RFC 6455 section 7.4.1, IANA registry).
const SENDABLE_CODES = new Set([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]);

/** `s` cut to at most `max` UTF-8 bytes, never inside a code point. */
function cutUtf8(s: string, max: number): string {
  if (s.length * 3 <= max || utf8Length(s) <= max) return s;
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    bytes += utf8Length(ch);
    if (bytes > max) break;
    out += ch;
  }
  return out;
}

export abstract class SocketHost extends DurableObject<Env> implements SocketOwner, RelayHolderRpc {
  readonly io: EdgeIo;
  /** Sockets held here and bound by relay to another uid's object (README "Sign-in paths"). */
  protected readonly relay: Relay;
  protected readonly tables: PacketTables<never, never>;
  /** Registry calls (plain functions, so a test can stand one in). */
  protected registry: RegistryClient;
  /** Metrics not yet handed on (README "Metrics"): kept in memory, stored with the writes the object makes anyway. */
  protected counters: Counters = {};

  /** Sockets whose sign-in awaits `authenticate`. In memory is enough: an object does not hibernate mid-await. */
  private readonly signingIn = new Set<string>();
  private lastAt = 0;

  constructor(
    ctx: DurableObjectState,
    env: Env,
    protected readonly app: App,
  ) {
    super(ctx, env);
    this.tables = tablesOf(app) as PacketTables<never, never>;
    this.registry = registryClient(env);
    this.relay = new Relay({
      ctx,
      env,
      holder: () => this.relayHolder(),
      view: (ws) => this.view(ws),
      close: (ws, code, reason) => this.close(ws, code, reason),
    });
    this.io = new EdgeIo(
      env,
      (name, data) => this.encode(name, data),
      () => this.sizeHere(),
    );

    // The heartbeat is answered by the runtime, even while the object hibernates.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  encode(name: string, data: unknown): Uint8Array {
    return this.tables.send.encode(name as never, data as never);
  }

  /** Accepts a new socket through the Hibernation API; the response completes the upgrade. */
  /** Accepts a socket from the Worker's connect URL (`ctl`, `ip`, `hb`: worker.ts `connectUrl`). */
  protected open(params: URLSearchParams): { socket: EdgeSocket; response: Response } {
    const ctl = params.get("ctl") === "1";
    const ip = params.get("ip");
    const hb = params.get("hb");
    const { 0: client, 1: server } = new WebSocketPair();
    const id = randomId();
    // Tagged with its id, so a relay finds it with getWebSockets(id).
    this.ctx.acceptWebSocket(server, [id]);
    // Date.now() only moves between I/O in Workers: keep accept order strict.
    this.lastAt = Math.max(Date.now(), this.lastAt + 1);
    const attachment: Attachment = {
      id,
      uid: null,
      ctl,
      at: this.lastAt,
      ...(ip ? { ip } : {}),
      ...(hb !== null ? { hb: Number(hb) } : {}),
    };
    server.serializeAttachment(attachment);
    // Browsers drop a connection whose offered subprotocol is not answered.
    const headers = ctl ? { "Sec-WebSocket-Protocol": SUBPROTOCOL } : undefined;
    const response = new Response(null, { status: 101, webSocket: client, headers });
    return { socket: this.view(server), response };
  }

  // One view per socket for the life of this instance, so a change made
  // through one (a bind, say) is seen by every handler holding it. After a
  // wake the map is empty and views are rebuilt from attachments.
  private readonly views = new WeakMap<WebSocket, EdgeSocket>();

  protected view(ws: WebSocket): EdgeSocket {
    let socket = this.views.get(ws);
    if (socket === undefined) {
      socket = new EdgeSocket(ws, ws.deserializeAttachment() as Attachment, this);
      this.views.set(ws, socket);
    }
    return socket;
  }

  /** Open sockets only: a CLOSING one is leaving and must not be counted or sent to. */
  protected live(): EdgeSocket[] {
    // A socket whose close was handled (`gone`) is not live even if the
    // runtime still says OPEN: a server close its peer never answered comes
    // back OPEN after a wake (seen by the chaos suite).
    return this.ctx
      .getWebSockets()
      .filter((ws) => ws.readyState === WebSocket.READY_STATE_OPEN)
      .map((ws) => this.view(ws))
      .filter((s) => !s.attachment.gone);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.ready();
    const socket = this.view(ws);
    const size = typeof message === "string" ? utf8Length(message) : message.byteLength;
    if (size > this.app.maxPayload) {
      this.close(ws, CLOSE.tooBig, `message above ${this.app.maxPayload} bytes`);
      return;
    }
    if (typeof message === "string") {
      await this.dispatch("text", socket, message);
      return;
    }
    let packet: { name: string; data: unknown };
    try {
      packet = this.tables.receive.decode(message);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.close(ws, CLOSE.invalidPacket, e.code);
      return;
    }
    if (packet.name === this.app.signIn.packet) {
      // Bound by relay (or being admitted): signed in, so ignored, as the seed does.
      if (!this.relay.isRelayed(socket)) await this.signInFrame(socket, packet.data, new Uint8Array(message));
      return;
    }
    await this.dispatch(packet.name, socket, packet.data);
  }

  /** A frame's event: to the uid's object if the socket is bound by relay (one RPC), else to the handlers here. */
  private async dispatch(event: string, socket: EdgeSocket, data: unknown): Promise<void> {
    // Most sockets are not relayed: they go straight to the handlers, with no relay call in between.
    if (this.relay.isRelayed(socket) && (await this.relay.forward(socket, event, data))) return;
    await this.fire(event, socket, data);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.ready();
    if (!NO_CLOSE_FRAME.has(code)) {
      // Answer the client's close (RFC 6455 section 5.5.1), echoing its code
      // when the runtime can send it (it refuses e.g. 1004), else with none.
      try {
        if (code === NO_CODE) ws.close();
        else ws.close(code, reason);
      } catch {
        try {
          ws.close();
        } catch {
          // Already answered (the runtime may reply by itself).
        }
      }
    }
    await this.goneOnceLogged(ws, code);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.ready();
    await this.goneOnceLogged(ws, 1006);
  }

  /**
   * For the runtime's close and error events: a failed registry call is
   * logged, not rethrown (nobody could catch it), and repaired by the
   * audit (README "No ghost sessions").
   */
  private async goneOnceLogged(ws: WebSocket, code: number): Promise<void> {
    try {
      await this.goneOnce(ws, code);
    } catch (e) {
      console.error("sockizy-edge: handling a close failed; the audit repairs it:", e);
    }
  }

  /**
   * Closes a socket from the server side; it is unbound as by
   * `session.delete()`. A code the protocol does not allow becomes 1011
   * and a reason is cut to the 123 bytes a close frame can carry, so a
   * socket marked gone is always really closing.
   */
  close(ws: WebSocket, code: number, reason: string): void {
    if (ws.readyState === WebSocket.READY_STATE_OPEN) {
      const sendable = SENDABLE_CODES.has(code) || (code >= 3000 && code <= 4999);
      ws.close(sendable ? code : 1011, cutUtf8(reason, 123));
    }
    this.ctx.waitUntil(this.goneOnceLogged(ws, code));
  }

  // A socket the server closed is handled at once (its peer may never
  // answer) and again when the close event arrives: only the first counts.
  // The flag is in the attachment (kept after the close) and, through the
  // one view per socket, in memory.
  private async goneOnce(ws: WebSocket, code: number): Promise<void> {
    const socket = this.view(ws);
    if (socket.attachment.gone) return;
    socket.attachment.gone = true;
    socket.save();
    // The object's own facts (a user object's uid, for its registry report): the close may be the
    // first thing it does since a wake, when another object closes a socket it holds for a relay.
    await this.ready();
    // A relayed socket is unbound, and its close handled, by its uid's object.
    if (await this.relay.gone(socket, code)) await this.syncRegistry();
    else await this.gone(socket, code);
  }

  /** Sends a frame to every open socket here (broadcasts arrive this way). */
  async deliver(frame: Frame): Promise<void> {
    this.countRequest();
    for (const socket of this.live()) socket.send(frame);
  }

  /** Runs one of the application's handlers; a failing handler is logged and the object carries on. */
  protected async fire(event: string, socket: ServerSocket, data: unknown): Promise<void> {
    type AnyHandler = (this: unknown, ...args: unknown[]) => unknown;
    const handler = (this.app.on as Record<string, AnyHandler | undefined>)[event];
    if (handler === undefined) return;
    try {
      await handler.call(socket, data, socket, this.io);
    } catch (e) {
      console.error(`sockizy-edge: handler "${event}" failed:`, e);
    }
  }

  protected async reply(socket: ServerSocket, outcome: SignInOutcome): Promise<void> {
    // "ok" is counted by the user object before its registry report, which hands it on.
    if (outcome.kind !== "ok") await this.countOutcome(outcome.kind);
    try {
      await this.app.signIn.reply(socket, outcome as never, this.io);
    } catch (e) {
      console.error("sockizy-edge: signIn.reply failed:", e);
    }
  }

  /** A sign-in packet arrived as an ordinary frame (README "Sign-in paths"). */
  private async signInFrame(socket: EdgeSocket, data: unknown, frame: Uint8Array): Promise<void> {
    // The seed ignores a sign-in on a socket that is signed in or still signing in.
    if (socket.attachment.uid !== null || this.signingIn.has(socket.id)) return;
    // Rate limits (README "Security"): this socket's pace, then the counters
    // of failed sign-ins; when limited, authenticate is not called.
    const wait = socketAttempt(this.app, socket.ws);
    if (wait > 0) {
      await this.reply(socket, { kind: "limited", retryAfter: wait });
      return;
    }
    this.signingIn.add(socket.id);
    let uid: Uid | null;
    try {
      const ip = socket.attachment.ip ?? UNKNOWN_IP;
      const gate = await admit(this.app, this.env, ip, keyOf(this.app, data));
      if (gate.limited) {
        if (socket.ws.readyState === WebSocket.READY_STATE_OPEN) {
          await this.reply(socket, { kind: "limited", retryAfter: gate.retryAfter });
        }
        return;
      }
      try {
        uid = await this.app.signIn.authenticate(data as never, this.env);
      } catch (e) {
        console.error("sockizy-edge: authenticate failed:", e);
        this.ctx.waitUntil(gate.settle("dropped"));
        await this.reply(socket, { kind: "error" });
        return;
      }
      this.ctx.waitUntil(gate.settle(uid === null ? "failed" : "ok"));
    } finally {
      this.signingIn.delete(socket.id);
    }
    if (socket.ws.readyState !== WebSocket.READY_STATE_OPEN) return;
    if (uid === null) await this.reply(socket, { kind: "bad", data });
    else await this.signInHere(this.view(socket.ws), uid, frame);
  }

  /** An authenticated sign-in for a socket held here. */
  protected abstract signInHere(socket: EdgeSocket, uid: Uid, frame: Uint8Array): Promise<void>;

  /**
   * The socket cannot be bound where it is held. A client that speaks the
   * sockizy subprotocol is told to reconnect with the sign-in in the
   * upgrade (cheaper: its frames then never cross objects); any other
   * client is bound by relay to the uid's object, which replies to it.
   */
  protected async redirect(socket: EdgeSocket, uid: Uid, frame: Uint8Array): Promise<void> {
    if (socket.attachment.ctl) {
      socket.send(encodeControl({ t: "reconnect", signin: toBase64Url(frame) }));
      return;
    }
    const refused = await this.relay.admit(socket, uid);
    if (refused !== null && socket.ws.readyState === WebSocket.READY_STATE_OPEN) await this.reply(socket, refused);
  }

  /** This object as the user objects of its relayed sockets call it back. */
  protected abstract relayHolder(): HolderRef;

  // The holder's RPC (README "Sign-in paths"): calls from the user object of a socket relayed from here.
  async relaySend(id: string, frame: Frame): Promise<void> {
    this.countRequest();
    this.relay.send(id, frame);
  }

  async relayEnd(id: string, uid: Uid, close?: { code: number; reason: string }): Promise<void> {
    this.countRequest();
    this.relay.end(id, uid, close);
  }

  async relayClose(id: string, code: number, reason: string): Promise<void> {
    this.countRequest();
    this.relay.close(id, code, reason);
  }

  async relayCheck(uid: Uid, ids: string[]): Promise<string[]> {
    this.countRequest();
    return this.relay.check(uid, ids);
  }

  /** After a socket closed or errored: unbind it and tell the application. */
  protected abstract gone(socket: EdgeSocket, code: number): Promise<void>;

  // socket.session calls for a uid that lives in another object (README "The application API").
  async bind(_ws: WebSocket, uid: Uid): Promise<number> {
    throw new Error(
      `session.set(${JSON.stringify(uid)}): a socket can only be bound to the uid of the object that holds it; sign in through the upgrade`,
    );
  }

  async unbind(_ws: WebSocket): Promise<void> {}

  clear(uid: Uid): Promise<void> {
    return userStub(this.env, uid).clear(uid);
  }

  count(uid: Uid): Promise<number> {
    return userStub(this.env, uid).count(uid);
  }

  sessionEmit(message: unknown, uid: Uid): Promise<void> {
    return userStub(this.env, uid).sessionEmit(message, uid);
  }

  /** What this object holds, as the registry sees it. */
  protected holding(): UserState {
    const live = this.live();
    const bound = live.filter((s) => s.attachment.uid !== null).length;
    return { session: bound > 0, online: live.length > 0, bound, sockets: live.length };
  }

  /** Which registry object hears about this one: a user's shard, or the lobby's own number for the global object. */
  protected abstract registryTarget(): number;

  /** The part of what it holds that this object reports (a change of it means a call). */
  protected abstract reported(state: UserState): unknown;

  /** Makes the registry call; resolves to `size` when the call gives it. */
  protected abstract report(where: number, state: UserState): Promise<number | undefined>;

  /**
   * Tells the registry what this object now holds, if that changed since
   * it last did; resolves to `size` when it called. Runs on connect, close,
   * bind and unbind only, never per message.
   */
  protected async syncRegistry(): Promise<number | undefined> {
    const state = this.holding();
    const told: Told = { where: this.registryTarget(), said: JSON.stringify(this.reported(state)) };
    // No "reg" means unknown (never told, or a call failed): tell it.
    const last = await this.ctx.storage.get<Told>("reg");
    if (last && last.where === told.where && last.said === told.said) return undefined;
    // Stored before the call, so a sync that starts meanwhile compares with what is being said.
    await this.ctx.storage.put("reg", told);
    if ((state.online || state.session) && (await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + this.app.auditMs);
    }
    try {
      return await this.report(told.where, state);
    } catch (e) {
      // The registry may not have heard: the next sync, or the audit, says it again.
      await this.ctx.storage.delete("reg");
      throw e;
    }
  }

  /** One more request handled (README "Metrics": an integer add, stored with the next write). */
  protected countRequest(): void {
    bump(this.counters, C.requests(this.objectClass));
  }

  protected abstract readonly objectClass: ObjectClass;

  /** A sign-in outcome: rare enough to be stored at once, with the requests counted so far. */
  protected async countOutcome(outcome: SignInMetric | "resume-refused"): Promise<void> {
    bump(this.counters, C.signIn(outcome === "resume-refused" ? "resume_refused" : outcome));
    // "ok" goes out with the registry report that follows it (and is stored if that fails).
    if (outcome !== "ok") await this.storeCounters();
  }

  /**
   * `counters` holds what was counted since the last store or hand-over;
   * storage's "metrics" what was stored and not yet handed on. Neither is
   * read at a wake (a broadcast's `deliver` touches no storage).
   */
  private async storeCounters(): Promise<void> {
    const stored = (await this.ctx.storage.get<Counters>("metrics")) ?? {};
    for (const [k, v] of Object.entries(this.counters)) bump(stored, k, v);
    this.counters = {};
    await this.ctx.storage.put("metrics", stored);
  }

  /** Counters stored and in memory, without handing them on (a lobby's scrape). */
  protected async allCounters(): Promise<Counters> {
    const all = { ...((await this.ctx.storage.get<Counters>("metrics")) ?? {}) };
    for (const [k, v] of Object.entries(this.counters)) bump(all, k, v);
    return all;
  }

  /** Hands the counters on (with a registry report); `restore` puts them back if that call failed. */
  protected async takeCounters(): Promise<{ counters: Counters; restore: () => Promise<void> }> {
    const stored = await this.ctx.storage.get<Counters>("metrics");
    const counters = stored ?? {};
    for (const [k, v] of Object.entries(this.counters)) bump(counters, k, v);
    this.counters = {};
    if (stored) await this.ctx.storage.delete("metrics");
    const restore = async () => {
      for (const [k, v] of Object.entries(counters)) bump(this.counters, k, v);
      await this.storeCounters();
    };
    return { counters, restore };
  }

  /** Runs before an event that may need the object's own facts from storage (not before `deliver`). */
  protected async ready(): Promise<void> {}

  /** `io.session.size()` from this object. */
  protected abstract sizeHere(): Promise<number>;

  /**
   * The audit (README "No ghost sessions"): an object reset without close
   * events still has its alarm, and here finds no sockets and reports it.
   * The next alarm is armed first, so a failed report is retried; once the
   * registry knows the object holds nothing, the alarm stops. While it holds
   * sockets it wakes once per `auditMs`, and no more.
   */
  protected async audit(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + this.app.auditMs);
    await this.reapDead();
    // Relays whose other end is gone (README "Sign-in paths"), from both sides.
    await this.relay.audit(this.live());
    await this.auditMembers();
    await this.syncRegistry();
    const { online, session } = this.holding();
    if (!online && !session) await this.ctx.storage.deleteAlarm();
  }

  /** A user object lets go of relayed members whose sockets are gone. */
  protected async auditMembers(): Promise<void> {}

  /**
   * Lets go of sockets that are provably gone (README "Dead holders"): one
   * that closed without its close event ever running, and one of a client
   * that heartbeats (the `sockizy` subprotocol) whose last ping the runtime
   * answered (`getWebSocketAutoResponseTimestamp`, kept while the object
   * hibernates) more than `heartbeatTimeoutMs` ago, or that never pinged
   * that long after it was accepted (an upgrade the client never saw
   * complete). Each is closed and unbound as by a close.
   */
  protected async reapDead(): Promise<void> {
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState === WebSocket.READY_STATE_CLOSED) {
        // Logged, not thrown: this runs on a sign-in's path, which a registry failure must not break.
        await this.goneOnceLogged(ws, 1006);
        continue;
      }
      const { attachment } = this.view(ws);
      // hb 0: a client that said it does not ping; its silence proves nothing.
      if (ws.readyState !== WebSocket.READY_STATE_OPEN || !attachment.ctl || attachment.hb === 0 || attachment.gone) {
        continue;
      }
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      // A client that pings less often than the default is given two of its intervals.
      const limit = Math.max(this.app.heartbeatTimeoutMs, (attachment.hb ?? 0) * 2000);
      if (now - Math.max(attachment.at, pinged) <= limit) continue;
      try {
        ws.close(1001, "no heartbeat");
      } catch {
        // the runtime may already consider it closed
      }
      await this.goneOnceLogged(ws, 1006);
    }
  }
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return toBase64Url(bytes);
}
