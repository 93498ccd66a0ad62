// What the user object and the lobby share: accepting hibernatable
// WebSockets, decoding their frames and dispatching them to the
// application's handlers, and closing them. Each other job is a member with
// one job of its own: the in-band sign-in (in-band-sign-in.ts), the
// registry sync (registry-sync.ts), the metric counters (counters.ts), the
// audit (audit.ts), the relay holder's side (relay/holder.ts) and the frame
// limits every frame passes first (floods/frames.ts).
//
// Hibernation (https://developers.cloudflare.com/durable-objects/best-practices/websockets/):
// the instance may be thrown away between any two events, so nothing here
// keeps per-socket state in memory. Sockets come from `ctx.getWebSockets()`,
// their state from attachments, the object's own facts from storage.
import { DurableObject } from "cloudflare:workers";
import { CLOSE, PING, PONG } from "../../protocol/control.js";
import { DecodeError, type PacketTables } from "../../protocol/index.js";
import { utf8Length } from "../../protocol/utf8.js";
import type { ObjectClass } from "../admin/metrics.js";
import type { App, SignInOutcome, Uid } from "../app/define-app.js";
import { tablesOf } from "../app/tables.js";
import { FrameFloods } from "../floods/frames.js";
import { Relay } from "../relay/holder.js";
import type { Frame, HolderRef, RelayHolderRpc, UserState } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { userStub } from "../rpc/names.js";
import { EdgeIo } from "../sockets/io.js";
import { type Attachment, EdgeSocket, type ServerSocket, type SocketOwner } from "../sockets/socket.js";
import { acceptSocket } from "./accept.js";
import { Audit } from "./audit.js";
import { answerClose, closeFromServer } from "./closes.js";
import { ObjectCounters } from "./counters.js";
import { InBandSignIn } from "./in-band-sign-in.js";
import { type RegistryClient, RegistrySync, registryClient } from "./registry-sync.js";

export abstract class SocketHost extends DurableObject<Env> implements SocketOwner, RelayHolderRpc {
  readonly io: EdgeIo;
  protected readonly tables: PacketTables<never, never>;
  /** Sockets held here and bound by relay to another uid's object (docs/sign-in.md#sign-in-by-relay). */
  protected readonly relay: Relay;
  /** Registry calls (plain functions, so a test can stand one in). */
  protected registry: RegistryClient;
  protected readonly counters: ObjectCounters;
  protected readonly registrySync: RegistrySync;
  protected readonly auditor: Audit;
  protected readonly inBand: InBandSignIn;
  /** Frames per socket and per user (docs/floods.md#frames-per-socket-and-per-user). */
  protected readonly floods: FrameFloods;
  /** Accept order, strict within this instance. */
  private readonly order = { lastAt: 0 };

  constructor(
    ctx: DurableObjectState,
    env: Env,
    protected readonly app: App,
    objectClass: ObjectClass,
  ) {
    super(ctx, env);
    this.tables = tablesOf(app) as PacketTables<never, never>;
    this.registry = registryClient(env);
    this.counters = new ObjectCounters(ctx.storage, objectClass);
    this.floods = new FrameFloods(app.floods, {
      close: (ws, code, reason) => this.close(ws, code, reason),
      count: (name) => this.counters.count(name),
    });
    this.relay = new Relay({
      ctx,
      env,
      holder: () => this.relayHolder(),
      view: (ws) => this.view(ws),
      close: (ws, code, reason) => this.close(ws, code, reason),
      flooded: (ws) => this.floods.flooded(ws, "user"),
    });
    this.io = new EdgeIo(
      env,
      (name, data) => this.encode(name, data),
      () => this.sizeHere(),
    );
    this.registrySync = new RegistrySync(ctx.storage, app.auditMs, {
      holding: () => this.holding(),
      target: () => this.registryTarget(),
      reported: (state) => this.reported(state),
      report: (where, state) => this.report(where, state),
    });
    this.auditor = new Audit(ctx, app, {
      view: (ws) => this.view(ws),
      handleClose: (ws, code) => this.handleClose(ws, code),
      auditRelays: () => this.auditRelays(),
      sync: () => this.syncRegistry(),
      holding: () => this.holding(),
    });
    this.inBand = new InBandSignIn(ctx, env, app, this.relay, {
      view: (ws) => this.view(ws),
      reply: (socket, outcome) => this.reply(socket, outcome),
      signInHere: (socket, uid, frame) => this.signInHere(socket, uid, frame),
    });

    // The heartbeat is answered by the runtime, even while the object hibernates.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  encode(name: string, data: unknown): Uint8Array {
    return this.tables.send.encode(name as never, data as never);
  }

  /** Accepts a socket from the Worker's connect URL (accept.ts); the response completes the upgrade. */
  protected open(params: URLSearchParams): { socket: EdgeSocket; response: Response } {
    const { ws, response } = acceptSocket(this.ctx, params, this.order);
    return { socket: this.view(ws), response };
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
    const socket = this.view(ws);
    socket.heard(); // lastSeen (docs/operations.md#sessions-of-a-user): in memory, no storage
    const size = typeof message === "string" ? utf8Length(message) : message.byteLength;
    // First of all, so a frame over its bucket costs nothing more (docs/floods.md).
    if (!this.floods.pass(ws, size, socket.attachment.uid !== null)) return;
    await this.loadFacts();
    if (size > this.app.maxPayload) {
      this.close(ws, CLOSE.tooBig, `message above ${this.app.maxPayload} bytes`);
      return;
    }
    if (typeof message === "string") {
      await this.dispatch("text", socket, message, size);
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
      if (!this.relay.isRelayed(socket)) await this.inBand.handle(socket, packet.data, new Uint8Array(message));
      return;
    }
    await this.dispatch(packet.name, socket, packet.data, size);
  }

  /** A frame's event: to the uid's object if the socket is bound by relay (one RPC), else to the handlers here. */
  private async dispatch(event: string, socket: EdgeSocket, data: unknown, size: number): Promise<void> {
    // Most sockets are not relayed: they go straight to the handlers, with no relay call in between.
    if (this.relay.isRelayed(socket) && (await this.relay.forward(socket, event, data, size))) return;
    await this.fire(event, socket, data);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.loadFacts();
    answerClose(ws, code, reason);
    await this.handleClose(ws, code);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.loadFacts();
    await this.handleClose(ws, 1006);
  }

  /**
   * Closes a socket from the server side; it is unbound as by
   * `session.delete()` (a code the protocol does not allow becomes 1011).
   */
  close(ws: WebSocket, code: number, reason: string): void {
    closeFromServer(ws, code, reason);
    this.ctx.waitUntil(this.handleClose(ws, code));
  }

  /**
   * A socket's close, handled once: a socket the server closed is handled
   * at once (its peer may never answer) and again when the close event
   * arrives, and only the first counts. The flag is in the attachment (kept
   * after the close) and, through the one view per socket, in memory. A
   * failed registry call is logged, not rethrown (nobody could catch it),
   * and repaired by the audit.
   */
  private async handleClose(ws: WebSocket, code: number): Promise<void> {
    try {
      const socket = this.view(ws);
      if (socket.attachment.gone) return;
      socket.attachment.gone = true;
      socket.save();
      // The object's own facts (a user object's uid, for its registry report): the close may be the
      // first thing it does since a wake, when another object closes a socket it holds for a relay.
      await this.loadFacts();
      // A relayed socket is unbound, and its close handled, by its uid's object.
      if (await this.relay.closed(socket, code)) await this.syncRegistry();
      else await this.onClosed(socket, code);
    } catch (e) {
      console.error("sockizy-edge: handling a close failed; the audit repairs it:", e);
    }
  }

  /** After a socket closed or errored: unbind it and tell the application. */
  protected abstract onClosed(socket: EdgeSocket, code: number): Promise<void>;

  /** Sends a frame to every open socket here (broadcasts arrive this way). */
  async sendAll(frame: Frame): Promise<void> {
    this.counters.request();
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

  protected async reply(socket: ServerSocket, outcome: SignInOutcome, counted = false): Promise<void> {
    // "ok" is counted by the user object before its registry report, which hands it on (and so
    // is a cap refusal that reports its socket before the reply: `counted`).
    if (outcome.kind !== "ok" && !counted) await this.counters.outcome(outcome.kind);
    try {
      await this.app.signIn.reply(socket, outcome as never, this.io);
    } catch (e) {
      console.error("sockizy-edge: signIn.reply failed:", e);
    }
  }

  /** An authenticated sign-in for a socket held here. */
  protected abstract signInHere(socket: EdgeSocket, uid: Uid, frame: Uint8Array): Promise<void>;

  /** This object as the user objects of its relayed sockets call it back. */
  protected abstract relayHolder(): HolderRef;

  // The holder's RPC (docs/sign-in.md#sign-in-by-relay): calls from the user object of a socket relayed from here.
  async relaySend(id: string, frame: Frame): Promise<void> {
    this.counters.request();
    this.relay.send(id, frame);
  }

  async relayEnd(id: string, uid: Uid, close?: { code: number; reason: string }): Promise<void> {
    this.counters.request();
    this.relay.end(id, uid, close);
  }

  async relayClose(id: string, code: number, reason: string): Promise<void> {
    this.counters.request();
    this.relay.close(id, code, reason);
  }

  async relayCheck(uid: Uid, ids: string[]): Promise<string[]> {
    this.counters.request();
    return this.relay.check(uid, ids);
  }

  async relayHeard(uid: Uid, ids: string[]): Promise<Record<string, number>> {
    this.counters.request();
    return this.relay.heard(uid, ids);
  }

  /** Relays whose other end is gone, seen from here (a user object also checks its members). */
  protected async auditRelays(): Promise<void> {
    await this.relay.audit(this.live());
  }

  // socket.session calls for a uid that lives in another object (docs/api.md).
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

  /** Tells the registry what this object holds, if that changed; resolves to `size` when it called. */
  protected syncRegistry(): Promise<number | undefined> {
    return this.registrySync.sync();
  }

  /**
   * Loads the object's own facts from storage, before an event that may
   * need them (never before `sendAll`: a broadcast touches no storage).
   */
  protected async loadFacts(): Promise<void> {}

  /** `io.session.size()` from this object. */
  protected abstract sizeHere(): Promise<number>;
}
