// The sockizy client: the original client's API (emit, text, json, send,
// disconnect, on/once/off and its events) over one WebSocket at a time,
// plus what it lacked: backoff with jitter, an offline queue, a heartbeat,
// online/offline, sign-in in the upgrade and session resume with tickets.
// README "The client" describes the behaviour; this file wires the parts.
import { decodeControl, PING, PONG, toBase64Url } from "../protocol/control.js";
import { type Merge, PacketTable, type SchemaMap } from "../protocol/index.js";
import { backoffDelay } from "./backoff.js";
import { type Carried, Credentials } from "./credentials.js";
import { Emitter, type Listener } from "./emitter.js";
import { Heartbeat } from "./heartbeat.js";
import { isOnline, pageWindow, watchOnline } from "./online.js";
import { type ClientOptions, type Settings, settle } from "./options.js";
import { type Frame, OfflineQueue } from "./queue.js";
import { CLOSED, CONNECTING, Connection, OPEN, type SocketCloseEvent, type SocketMessageEvent } from "./socket.js";
import { toText } from "./text.js";
import type { ClientEvents, Declared, EmitData, EventName, SendResult } from "./types.js";
import { resolveUrl } from "./url.js";

type Opt<M> = M extends SchemaMap ? M : Record<never, never>;
type Timer = ReturnType<typeof setTimeout>;

/** Control frames this client understands (README "Wire additions"); anything else is ignored. */
type ServerControl =
  | { t: "reconnect"; signin?: unknown }
  | { t: "ticket"; ticket?: unknown }
  | { t: "resume"; ok?: unknown }
  | { t?: undefined };

/** `Send`: packets this client emits; `Receive`: packets it listens to (both from `packets()`). */
export class Client<Send = SchemaMap, Receive = SchemaMap> {
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = 2;
  readonly CLOSED = CLOSED;
  /** True from a drop until the next connection opens (or the client gives up). */
  reconnecting = false;

  private readonly events = new Emitter();
  private readonly settings: Settings;
  private readonly queue: OfflineQueue;
  private readonly heartbeat: Heartbeat;
  private readonly credentials = new Credentials();
  private sendMaps: (SchemaMap | null | undefined)[] = [];
  private receiveMaps: (SchemaMap | null | undefined)[] = [];
  private sendTable = new PacketTable();
  private receiveTable = new PacketTable();
  private target = "";
  private conn: Connection | null = null;
  /** The page wants a connection (false before connect() and after disconnect() or a final close). */
  private wanted = false;
  /** Reconnection attempts since the last stable connection. */
  private attempts = 0;
  /** The page was told "open" and not "close" since: a handover must not repeat it. */
  private announced = false;
  private retry: Timer | undefined;
  private stable: Timer | undefined;
  private unwatch: () => void = () => {};

  constructor(url?: string, options?: ClientOptions, declared: readonly Declared[] = []) {
    this.settings = settle(options);
    const s = this.settings;
    this.queue = new OfflineQueue({ size: s.queueSize, bytes: s.queueBytes, policy: s.queuePolicy });
    this.heartbeat = new Heartbeat(
      { interval: s.pingInterval * 1000, timeout: s.pingTimeout * 1000 },
      () => this.conn?.open && this.conn.ws.send(PING),
      () => this.conn && this.lost(this.conn),
    );
    for (const d of declared) this.packets(...d);
    // Outside a browser there is no page host to default to: connect(url) later.
    if (url !== undefined || (globalThis as { location?: unknown }).location) this.target = resolveUrl(url, s.secure);
    if (s.autoConnect && this.target) this.connect();
  }

  /** The WebSocket URL ("" until there is one). */
  get url(): string {
    return this.target;
  }

  get readyState(): number {
    return this.conn?.ws.readyState ?? CLOSED;
  }

  /** Bytes the open socket has not sent yet. */
  get bufferedAmount(): number {
    return this.conn?.ws.bufferedAmount ?? 0;
  }

  /** Frames waiting in the offline queue. */
  get queued(): number {
    return this.queue.length;
  }

  isSupported(): boolean {
    return typeof this.socketClass() === "function";
  }

  /**
   * Declares the packets, the mirror image of the server's
   * `packets(unpack, pack, shared)`. Calls add to the tables in order.
   */
  packets<const P extends SchemaMap, const U extends SchemaMap | null = null, const S extends SchemaMap | null = null>(
    pack: P | null,
    unpack?: U,
    shared?: S,
  ): Client<Merge<P, Opt<S>>, Merge<Opt<U>, Opt<S>>> {
    const sendMaps = [...this.sendMaps, pack, shared];
    const receiveMaps = [...this.receiveMaps, unpack, shared];
    // Build both before keeping either, so a bad schema changes nothing.
    const send = new PacketTable(...sendMaps);
    const receive = new PacketTable(...receiveMaps);
    this.sendMaps = sendMaps;
    this.receiveMaps = receiveMaps;
    this.sendTable = send;
    this.receiveTable = receive;
    return this as never;
  }

  on<E extends EventName<Receive>>(name: E, listener: ClientEvents<Receive>[E]): this {
    this.events.on(name, listener as Listener);
    return this;
  }

  once<E extends EventName<Receive>>(name: E, listener: ClientEvents<Receive>[E]): this {
    this.events.once(name, listener as Listener);
    return this;
  }

  off<E extends EventName<Receive>>(name?: E, listener?: ClientEvents<Receive>[E]): this {
    this.events.off(name, listener as Listener | undefined);
    return this;
  }

  /**
   * Sends a packet. The sign-in packet opens a connection that carries it
   * in the upgrade (unless the open socket may be held by a user's object,
   * which then decides); the sign-out packet also forgets the resume ticket.
   */
  emit<K extends keyof Send & string>(name: K, data?: EmitData<Send, K>): SendResult {
    if (name === this.settings.signIn) return this.signIn(name, data);
    let frame: Uint8Array;
    try {
      frame = this.sendTable.encode(name as never, data as never);
    } catch (e) {
      this.fail(e);
      return "dropped";
    }
    if (name === this.settings.signOut) {
      this.credentials.clear();
      // A ticket the server sent before it saw the sign-out must not be kept.
      if (this.conn) this.conn.ignoreTickets = true;
    }
    return this.transmit(frame);
  }

  /** Sends text; other values as the original did (null and undefined as "", objects as JSON). */
  text(data: unknown): SendResult {
    return this.transmit(toText(data));
  }

  json(data: unknown): SendResult {
    return this.transmit(JSON.stringify(data));
  }

  /** Sends a raw frame: text, or bytes (which the server decodes as packets). */
  send(data: string | ArrayBuffer | ArrayBufferView): SendResult {
    const frame = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data;
    return this.transmit(frame);
  }

  /** Opens a connection now (to `url` if given), replacing any current one. */
  connect(url?: string, secure?: boolean): this {
    if (url !== undefined) this.target = resolveUrl(url, secure ?? this.settings.secure);
    if (!this.target) throw new TypeError("connect(): pass the server's URL");
    this.want();
    this.attempts = 0;
    this.handover();
    return this;
  }

  /**
   * Closes and stays closed: no reconnection, the offline queue and any
   * pending sign-in are dropped. `close` and `disconnected` fire before it
   * returns, so the client is CLOSED at once and a following connect()
   * starts clean (the close handshake finishes in the background).
   */
  disconnect(code = 1000, reason = ""): this {
    this.stop();
    this.credentials.dropSignIn();
    const conn = this.conn;
    if (conn) {
      conn.abandon(code, reason);
      this.closed(conn, code, reason, true, null);
    }
    return this;
  }

  // ---------------------------------------------------------------- sending

  private transmit(frame: Frame): SendResult {
    const c = this.conn;
    if (c?.open) {
      try {
        c.ws.send(frame);
        return "sent";
      } catch (e) {
        this.fail(e);
        return "dropped";
      }
    }
    return this.wanted ? this.queue.push(frame) : "dropped";
  }

  private signIn(name: string, data: unknown): SendResult {
    let frame: Uint8Array;
    try {
      // A table of its own: the shared one keeps its last frame in a scratch
      // buffer, and that must not be the password.
      frame = new PacketTable(...this.sendMaps).encode(name, data as never);
    } catch (e) {
      this.fail(e);
      return "dropped";
    }
    const c = this.conn;
    if (c?.open && c.credentialed) {
      // This socket may sit in a user's object (signed out, or over the
      // cap): the server binds it there, ignores it, or tells us to reconnect.
      c.ignoreTickets = false;
      return this.transmit(frame);
    }
    this.credentials.setSignIn(toBase64Url(frame));
    this.want();
    this.handover();
    return "queued";
  }

  // ---------------------------------------------------------------- connections

  private socketClass() {
    return this.settings.WebSocket ?? (globalThis as unknown as { WebSocket?: ClientOptions["WebSocket"] }).WebSocket;
  }

  private want(): void {
    if (this.wanted) return;
    this.wanted = true;
    if (this.settings.watchOnline) {
      this.unwatch = watchOnline(pageWindow(), { online: () => this.online(), offline: () => this.offline() });
    }
  }

  /** The page no longer wants a connection. */
  private stop(): void {
    this.wanted = false;
    this.reconnecting = false;
    this.queue.clear();
    clearTimeout(this.retry);
    this.retry = undefined;
    this.unwatch();
    this.unwatch = () => {};
  }

  /** Replaces the current connection (if any) with a new one, with no close or open events in between. */
  private handover(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    clearTimeout(this.stable);
    this.heartbeat.stop();
    this.conn?.abandon();
    this.conn = null;
    this.open();
  }

  private open(): void {
    const Socket = this.socketClass();
    if (typeof Socket !== "function") {
      this.stop();
      this.fail(new TypeError("no WebSocket here: pass options.WebSocket (in Node 20, the `ws` package)"));
      return;
    }
    const { protocols, carried } = this.credentials.next();
    let conn: Connection | undefined;
    try {
      conn = new Connection(Socket, this.target, protocols, carried !== null, {
        open: () => this.opened(conn as Connection, carried),
        message: (e) => this.conn === conn && this.received(conn, e),
        close: (e) => this.closed(conn as Connection, e.code, e.reason, e.wasClean, e),
        error: (e) => this.conn === conn && this.fail(Object.assign(new Error("WebSocket error"), { event: e })),
      });
    } catch (e) {
      // A URL or subprotocol the WebSocket class refuses: retrying cannot help.
      this.stop();
      this.fail(e);
      return;
    }
    this.conn = conn;
  }

  private opened(conn: Connection, carried: Carried): void {
    if (this.conn !== conn) return;
    // The sign-in has done its job: the password leaves memory now.
    if (carried === "signin") this.credentials.dropSignIn();
    this.heartbeat.start();
    clearTimeout(this.stable);
    this.stable = setTimeout(() => {
      this.attempts = 0;
    }, this.settings.stableAfter * 1000);
    // Queued frames go first: they were sent before anything an open listener sends.
    for (const frame of this.queue.drain()) conn.ws.send(frame);
    if (this.reconnecting) {
      this.reconnecting = false;
      this.events.fire("restored", this.attempts);
    }
    if (!this.announced) {
      this.announced = true;
      this.events.fire("open");
    }
  }

  private received(conn: Connection, event: SocketMessageEvent): void {
    this.heartbeat.heard();
    const data = event.data;
    if (typeof data === "string") {
      if (data === PONG) return;
      this.events.fire("message", data, event);
      this.events.fire("text", data, event);
      if (this.events.listenerCount("json") > 0) {
        let value: unknown;
        try {
          value = JSON.parse(data);
        } catch {
          return; // text, not JSON
        }
        this.events.fire("json", value, event);
      }
      return;
    }
    const buffer = data as ArrayBuffer;
    const bytes = new Uint8Array(buffer);
    if (bytes[0] === 0xff && bytes[1] === 0xff) {
      // Packet id 0xFFFF: a control frame, never the application's.
      this.control(conn, decodeControl(bytes) as ServerControl | undefined);
      return;
    }
    this.events.fire("message", buffer, event);
    if (this.events.fire("arraybuffer", buffer, event)) return;
    let packets: { name: string; data: unknown }[];
    try {
      packets = this.receiveTable.decodeBundle(bytes);
    } catch (e) {
      // A frame is delivered whole or not at all.
      this.fail(e);
      return;
    }
    for (const { name, data } of packets) {
      if (this.events.listenerCount("packet") > 0) {
        this.events.fire("packet", name, data, () => this.events.fire(name, data));
      } else {
        this.events.fire(name, data);
      }
    }
  }

  private control(conn: Connection, c: ServerControl | undefined): void {
    switch (c?.t) {
      case "reconnect":
        // The socket sits where it cannot be bound: come back with the sign-in in the upgrade.
        if (typeof c.signin === "string" && this.wanted) {
          this.credentials.setSignIn(c.signin);
          this.handover();
        }
        return;
      case "ticket":
        if (typeof c.ticket === "string" && !conn.ignoreTickets) this.credentials.setTicket(c.ticket);
        return;
      case "resume":
        if (c.ok === false) {
          // Refused (expired, forged, kicked): this socket is anonymous now.
          this.credentials.dropTicket();
          conn.credentialed = false;
          this.events.fire("unrestored", this.attempts, "session");
        }
        return;
    }
  }

  /** The heartbeat found the link dead: give the socket up and handle it as cut. */
  private lost(conn: Connection): void {
    conn.abandon(1000, "sockizy: no heartbeat");
    this.closed(conn, 1006, "heartbeat timeout", false, null);
  }

  private closed(conn: Connection, code: number, reason: string, clean: boolean, event: SocketCloseEvent | null): void {
    if (this.conn !== conn) return;
    this.conn = null;
    this.heartbeat.stop();
    clearTimeout(this.stable);
    this.announced = false;
    this.events.fire("close", code, reason, event);
    if (clean) this.events.fire("disconnected", code, reason, event);
    else this.events.fire("terminated", code, event);
    // A listener may have called connect() or disconnect() meanwhile.
    if (!this.wanted || this.conn) return;
    if (this.settings.noReconnectCodes.includes(code)) {
      // Replaced or kicked: coming back (or resuming) would undo what the server did.
      this.credentials.clear();
      this.stop();
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    const s = this.settings;
    if (!s.reconnection) {
      this.stop();
      return;
    }
    if (this.attempts >= s.reconnectionAttempts) {
      const attempts = this.attempts;
      this.stop();
      this.events.fire("unrestored", attempts, "attempts");
      return;
    }
    this.reconnecting = true;
    clearTimeout(this.retry);
    // Offline, an attempt would fail at once: wait for the "online" event,
    // and try at the cap anyway in case that event never comes.
    const cap = s.reconnectionDelayMax * 1000;
    const delay = isOnline() ? backoffDelay(this.attempts, { base: s.reconnectionDelay * 1000, cap }, s.random) : cap;
    this.retry = setTimeout(() => this.attempt(), delay);
  }

  private attempt(): void {
    this.retry = undefined;
    this.events.fire("restoring", this.attempts);
    this.attempts++;
    if (this.wanted && !this.conn) this.open();
  }

  private online(): void {
    if (this.retry !== undefined) {
      clearTimeout(this.retry);
      this.attempt();
    }
  }

  private offline(): void {
    if (this.conn?.open) this.heartbeat.probe();
    else if (this.retry !== undefined) this.schedule();
  }

  private fail(e: unknown): void {
    this.events.fire("error", e instanceof Error ? e : new Error(String(e)));
  }
}
