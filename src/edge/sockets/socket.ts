// The socket object handlers see: the original `socket.emit/text/json/
// disconnect` and `socket.session.*` (spec section 5). It is a thin view
// over a hibernatable WebSocket and its attachment, made afresh for every
// event, so nothing in it has to survive a wake.
import { encodeControl } from "../../protocol/control.js";
import type { PacketInput } from "../../protocol/index.js";
import type { PacketMaps, SendMap, Uid } from "../app/packet-maps.js";

/**
 * Per-socket state kept in the WebSocket attachment (ids and flags only:
 * never a credential, never the URL; the attachment is stored with the
 * socket while the object hibernates).
 */
export interface Attachment {
  /** Socket id, unique within the object. */
  readonly id: string;
  /** The uid this socket is bound to, or null. */
  uid: Uid | null;
  /** The client offered the `sockizy` subprotocol, so it understands control frames. */
  readonly ctl: boolean;
  /** Accept order, to find the oldest socket (cap policy "replace-oldest"). */
  readonly at: number;
  /** When its current resume ticket was issued (ms), if it has one. */
  tk?: number;
  /** When it was bound to `uid` (ms), while it is: a session's `since` (docs/operations.md#sessions-of-a-user). */
  since?: number;
  /** Its last frame's time (ms), written at most every `SEEN_WRITE_MS` (docs/operations.md#sessions-of-a-user). */
  seen?: number;
  /** Set once the socket's close has been handled, so it is handled once. */
  gone?: true;
  /** The client's IP as the Worker saw it (CF-Connecting-IP), for the limits of in-band sign-ins. */
  readonly ip?: string;
  /** The client's ping interval in seconds, when it said it is not the default 25 (0: it does not ping). */
  readonly hb?: number;
  /** When it was last sent a liveness probe (ms), answered by a `#ping` after it (docs/sign-in.md#liveness-probe). */
  pr?: number;
  /**
   * Bound by relay to this uid's object (docs/sign-in.md#sign-in-by-relay): its frames
   * go there, and that object sends to it through this one. `uid` stays null here.
   */
  relay?: Uid;
}

/**
 * How often, at most, a socket's last frame time is written to its
 * attachment: in memory it is exact; after a wake it may be this much early
 * (docs/operations.md#sessions-of-a-user).
 */
export const SEEN_WRITE_MS = 10_000;

/** One socket bound to a uid, as `io.session.list(uid)` and `GET /admin/sessions` show it (no IP, no credential). */
export interface SessionInfo {
  /** The socket's id, stable across hibernation: `POST /admin/kick` takes it. */
  id: string;
  /** When it was bound (ms since the epoch). */
  since: number;
  /** Its last frame or heartbeat (ms since the epoch); `since` if neither came after. */
  lastSeen: number;
  /** `direct`: held by the uid's object; `relay`: held by a lobby or another uid's object (docs/sign-in.md#sign-in-by-relay). */
  path: "direct" | "relay";
  /** Whether its client speaks the `sockizy` subprotocol (control frames, heartbeat, resume). */
  ctl: boolean;
}

/** `socket.session`: the calls of spec section 5, with `this` socket as the default. */
export interface SocketSession {
  /** The bound uid, or null. */
  readonly uid: Uid | null;
  /** Binds this socket to uid (only the uid of the object that holds it); resolves to `size`. */
  set(uid: Uid): Promise<number>;
  /** Unbinds this socket; `session.end` fires on it first if it was the uid's last. */
  delete(): Promise<void>;
  /** Clears every socket of uid (default: this socket's). */
  clear(uid?: Uid): Promise<void>;
  /** Sockets bound to uid (default: this socket's); 0 if none. */
  count(uid?: Uid): Promise<number>;
  /** Distinct uids holding sessions. */
  size(): Promise<number>;
  /** A `session` event on every socket of uid (default: this socket's); false if there is no uid. */
  emit(message: unknown, uid?: Uid): Promise<boolean>;
}

export interface ServerSocket<P extends PacketMaps = PacketMaps> {
  readonly id: string;
  readonly session: SocketSession;
  readonly io: Io<P>;
  /** Sends one packet of the send table. */
  emit<K extends keyof SendMap<P> & string>(name: K, data: PacketInput<SendMap<P>[K]>): void;
  /** Sends a text frame. */
  text(data: string): void;
  /** Sends JSON as a text frame. */
  json(data: unknown): void;
  /** Closes the socket; it is unbound as by `session.delete()`. */
  disconnect(code?: number, reason?: string): void;
}

/** `io`: every connected socket, and `io.session` for any uid. All cross objects, so all are async. */
export interface Io<P extends PacketMaps = PacketMaps> {
  emit<K extends keyof SendMap<P> & string>(name: K, data: PacketInput<SendMap<P>[K]>): Promise<void>;
  text(data: string): Promise<void>;
  json(data: unknown): Promise<void>;
  readonly session: {
    clear(uid: Uid): Promise<void>;
    count(uid: Uid): Promise<number>;
    size(): Promise<number>;
    /** A `session` event on every socket of uid, or of every uid when none is given. */
    emit(message: unknown, uid?: Uid): Promise<void>;
    /**
     * The uid's bound sockets, oldest first, local and relayed (docs/operations.md#sessions-of-a-user).
     *
     * @example
     * ```ts
     * const devices = await io.session.list(uid); // [{ id, since, lastSeen, path: "direct", ctl: true }]
     * socket.json({ devices: devices.length, idle: devices.filter((d) => Date.now() - d.lastSeen > 60_000).length });
     * ```
     */
    list(uid: Uid): Promise<SessionInfo[]>;
  };
}

/** What a socket needs from the object that holds it. */
export interface SocketOwner {
  readonly io: Io;
  encode(name: string, data: unknown): Uint8Array;
  close(ws: WebSocket, code: number, reason: string): void;
  bind(ws: WebSocket, uid: Uid): Promise<number>;
  unbind(ws: WebSocket): Promise<void>;
  clear(uid: Uid): Promise<void>;
  count(uid: Uid): Promise<number>;
  sessionEmit(message: unknown, uid: Uid): Promise<void>;
}

/** The calls `socket.session` makes for any uid, whichever object holds the socket. */
type SessionCalls = Pick<SocketOwner, "io" | "clear" | "count" | "sessionEmit">;

/** `socket.session` over a socket's bound uid: `set`/`delete` are the socket's own, the rest the owner's. */
function sessionOf(
  bound: () => Uid | null,
  own: Pick<SocketSession, "set" | "delete">,
  owner: SessionCalls,
): SocketSession {
  return {
    get uid() {
      return bound();
    },
    set: own.set,
    delete: own.delete,
    clear: async (uid = bound() ?? undefined) => {
      if (uid !== undefined) await owner.clear(uid);
    },
    count: async (uid = bound() ?? undefined) => (uid === undefined ? 0 : owner.count(uid)),
    size: () => owner.io.session.size(),
    emit: async (message, uid = bound() ?? undefined) => {
      if (uid === undefined) return false;
      await owner.sessionEmit(message, uid);
      return true;
    },
  };
}

export class EdgeSocket implements ServerSocket {
  readonly session: SocketSession;
  /** Its last frame's time in this instance (ms; 0: none since the wake): `heard` keeps it, `save` writes it. */
  private heardAt = 0;
  /** Closed by the audit for its silent heartbeat (docs/architecture.md#dead-holders): its offline event says `reaped`. */
  reaped = false;

  constructor(
    readonly ws: WebSocket,
    readonly attachment: Attachment,
    private readonly owner: SocketOwner,
  ) {
    this.session = sessionOf(
      () => this.attachment.uid,
      { set: (uid) => owner.bind(ws, uid), delete: () => owner.unbind(ws) },
      owner,
    );
  }

  get id(): string {
    return this.attachment.id;
  }

  get io(): Io {
    return this.owner.io;
  }

  emit(name: string, data: unknown): void {
    this.send(this.owner.encode(name, data));
  }

  text(data: string): void {
    this.send(String(data));
  }

  json(data: unknown): void {
    this.send(JSON.stringify(data));
  }

  disconnect(code = 1000, reason = ""): void {
    this.owner.close(this.ws, code, reason);
  }

  /** Binds the socket to uid, or unbinds it (null), in its attachment. */
  setUid(uid: Uid | null): void {
    this.attachment.uid = uid;
    if (uid === null) delete this.attachment.since;
    else this.attachment.since = Date.now();
    this.save();
  }

  /**
   * A frame came: kept in memory (an assignment per frame), written to the
   * attachment at most every `SEEN_WRITE_MS` (docs/operations.md#sessions-of-a-user).
   */
  heard(now = Date.now()): void {
    this.heardAt = now;
    if (now - (this.attachment.seen ?? 0) >= SEEN_WRITE_MS) this.save();
  }

  /** When its client was last heard: its last frame, or `pinged` (its last heartbeat, as the runtime answered it); 0 if never. */
  lastHeard(pinged: number): number {
    return Math.max(this.heardAt, this.attachment.seen ?? 0, pinged);
  }

  /** Stores the attachment with the socket (with the last frame's time). */
  save(): void {
    if (this.heardAt > (this.attachment.seen ?? 0)) this.attachment.seen = this.heardAt;
    try {
      this.ws.serializeAttachment(this.attachment);
    } catch (e) {
      // A closed socket may refuse; nothing reads its state then. An open one must not.
      if (this.ws.readyState === WebSocket.READY_STATE_OPEN) throw e;
    }
  }

  /** Unbound by a sign-out or a clear: a sockizy client drops its resume ticket on this (the app's sign-out packet may have any name). */
  tellUnbound(): void {
    if (this.attachment.ctl) this.send(encodeControl({ t: "unbound" }));
  }

  /** Sends unless the socket is closing or closed (a send there throws). */
  send(frame: string | Uint8Array): void {
    if (this.ws.readyState === WebSocket.READY_STATE_OPEN) this.ws.send(frame);
  }
}

/** How a relayed member's view reaches its socket, held by another object (src/edge/relay/members.ts). */
export interface RelayLink {
  /** One RPC to the holder per frame. */
  send(frame: string | Uint8Array): void;
  /** The holder closes the socket; its close unbinds it as for a local socket. */
  close(code: number, reason: string): void;
  /** `session.delete()`: the member signs out. */
  signOut(): Promise<void>;
}

/**
 * The `socket` handlers see for a relayed member (docs/sign-in.md#sign-in-by-relay):
 * the same calls as a local socket, its sends going through the holder.
 * `uid` is set to null when the member is unbound, like a local attachment.
 */
export class RelayedSocket implements ServerSocket {
  readonly session: SocketSession;

  constructor(
    readonly id: string,
    public uid: Uid | null,
    private readonly link: RelayLink,
    private readonly owner: SessionCalls & Pick<SocketOwner, "encode">,
  ) {
    this.session = sessionOf(
      () => this.uid,
      {
        set: async (uid) => {
          throw new Error(
            this.uid === null
              ? `session.set(${JSON.stringify(uid)}): a relayed socket is bound by signing in`
              : `session.set: socket is already bound to ${this.uid}`,
          );
        },
        delete: () => link.signOut(),
      },
      owner,
    );
  }

  get io(): Io {
    return this.owner.io;
  }

  emit(name: string, data: unknown): void {
    this.link.send(this.owner.encode(name, data));
  }

  text(data: string): void {
    this.link.send(String(data));
  }

  json(data: unknown): void {
    this.link.send(JSON.stringify(data));
  }

  disconnect(code = 1000, reason = ""): void {
    this.link.close(code, reason);
  }
}
