// The sockizy client: the original client's API (emit, text, json, send,
// disconnect, on/once/off and its events) over one WebSocket at a time,
// plus what it lacked: backoff with jitter, an offline queue, a heartbeat,
// online/offline, sign-in in the upgrade and session resume with tickets.
// README "The client" describes the behaviour; this file wires the parts.
import { decodeControl, PING, PONG, toBase64Url } from "../protocol/control.js";
import { EncodeError, type Merge, PacketTable, type SchemaMap } from "../protocol/index.js";
import { backoffDelay } from "./backoff.js";
import { Credentials, SIGNIN_TRIES } from "./credentials.js";
import { Emitter, type Listener } from "./emitter.js";
import { Heartbeat } from "./heartbeat.js";
import { refuseEventNames } from "./names.js";
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
  | { t: "unbound" }
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
  /** The current connection's deadline: to open (connectTimeout), or for the server's word on a resume (hold). */
  private deadline: Timer | undefined;
  private unwatch: () => void = () => {};

  constructor(url?: string, options?: ClientOptions, declared: readonly Declared[] = []) {
    this.settings = settle(options);
    const s = this.settings;
    this.queue = new OfflineQueue({ size: s.queueSize, bytes: s.queueBytes, policy: s.queuePolicy });
    this.heartbeat = new Heartbeat(
      { interval: s.pingInterval * 1000, timeout: s.pingTimeout * 1000 },
      () => this.ping(),
      () => {
        // Only an open socket can be dead: a closing one (the server's close
        // handshake under way) gets its close event, with the server's code.
        if (this.conn?.open) this.lost(this.conn);
      },
      () => this.conn?.ws.bufferedAmount ?? 0,
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

  /**
   * The client holds a resume ticket: after a drop it reconnects with it and
   * the server signs it back in (unless it refuses: `unrestored(n,
   * "session")`). False while anonymous, after a sign-out, and always when
   * the server has resume off (no TICKET_SECRET): then a dropped connection
   * comes back anonymous.
   */
  get resumable(): boolean {
    return this.credentials.hasTicket;
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
    refuseEventNames(send, receive);
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
   * which then decides); the sign-out packet also forgets the resume ticket
   * and what was queued before it. Throws an EncodeError for a name that
   * is not in the send tables; data that does not encode is an `error`
   * event and "dropped".
   */
  emit<K extends keyof Send & string>(name: K, data?: EmitData<Send, K>): SendResult {
    // A name the send tables lack is a mistake in the page's code, not a
    // condition of the network: it throws at the call, whoever listens to
    // `error` (as socket.io throws for a reserved event name).
    if (!this.sendTable.has(name)) throw unknownPacket(name, this.sendTable.names);
    if (name === this.settings.signIn) return this.signIn(name, data);
    let frame: Uint8Array;
    try {
      frame = this.sendTable.encode(name as never, data as never);
    } catch (e) {
      this.fail(e);
      return "dropped";
    }
    if (name === this.settings.signOut) return this.signOut(frame);
    return this.transmit(frame);
  }

  /** Sends text; other values as the original did (null and undefined as "", objects as JSON). */
  text(data: unknown): SendResult {
    return this.transmit(toText(data));
  }

  json(data: unknown): SendResult {
    return this.transmit(JSON.stringify(data));
  }

  /** Sends a raw frame: text, or bytes (which the server decodes as packets). Bytes are copied when queued. */
  send(data: string | ArrayBuffer | ArrayBufferView): SendResult {
    const frame = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data;
    return this.transmit(frame, true);
  }

  /**
   * Opens a connection now (to `url` if given), replacing any current one.
   * Another server is another session: the resume ticket, a pending
   * sign-in and the offline queue are dropped.
   */
  connect(url?: string, secure?: boolean): this {
    if (url !== undefined) {
      const target = resolveUrl(url, secure ?? this.settings.secure);
      if (target !== this.target) this.forgetSession(true);
      this.target = target;
    }
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
    const conn = this.conn;
    if (conn) {
      conn.abandon(code, reason);
      this.closed(conn, code, reason, true, null);
    }
    return this;
  }

  // ---------------------------------------------------------------- sending

  /** The connection frames go to at once: open, and not holding the queue for the server's word on a resume. */
  private ready(): Connection | null {
    const c = this.conn;
    return c?.open && !c.held ? c : null;
  }

  /** `copy`: the frame is the page's (send()): a queued one must not change when the page reuses its buffer. */
  private transmit(frame: Frame, copy = false): SendResult {
    const c = this.ready();
    if (c) {
      try {
        c.ws.send(frame);
        return "sent";
      } catch (e) {
        this.fail(e);
        return "dropped";
      }
    }
    if (!this.wanted) return "dropped";
    return this.queue.push(copy && typeof frame !== "string" ? frame.slice(0) : frame);
  }

  /**
   * The sign-out packet. Once it is sent or queued the resume ticket is
   * forgotten; frames queued before it were for the session it ends and are
   * dropped. When it cannot be sent or queued ("dropped") nothing changes.
   */
  private signOut(frame: Uint8Array): SendResult {
    const c = this.conn;
    if (!this.ready()) {
      if (!this.wanted || !this.queue.fitsAlone(frame)) return "dropped";
      this.queue.clear();
    }
    const result = this.transmit(frame);
    if (result === "dropped") return result;
    this.credentials.clear();
    // A ticket the server sent before it saw the sign-out must not be kept.
    if (c) c.ignoreTickets = true;
    return result;
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
    const c = this.ready();
    if (c?.credentialed) {
      // This socket may sit in a user's object (signed out, or over the
      // cap): the server binds it there, ignores it, or tells us to reconnect.
      c.ignoreTickets = false;
      return this.transmit(frame);
    }
    // Stopped (disconnect(), a final close, given up, or never connected):
    // as every other send, the sign-in is dropped; connect() first.
    if (!this.wanted) return "dropped";
    this.credentials.setSignIn(toBase64Url(frame));
    // What was queued was for the session this sign-in replaces.
    this.queue.clear();
    return this.handover() ? "queued" : "dropped";
  }

  /** The session changed under the client: its ticket (and with `all`, a pending sign-in) and the queue go. */
  private forgetSession(all: boolean): void {
    if (all) this.credentials.clear();
    else this.credentials.dropTicket();
    this.queue.clear();
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

  /** The page no longer wants a connection: nothing is retried, so the sign-in (a password) goes too. */
  private stop(): void {
    this.wanted = false;
    this.reconnecting = false;
    this.queue.clear();
    this.credentials.dropSignIn();
    clearTimeout(this.retry);
    this.retry = undefined;
    this.unwatch();
    this.unwatch = () => {};
  }

  /**
   * Replaces the current connection (if any) with a new one, with no close
   * or open events in between. False when no new one could be made (then
   * the client has stopped, and said so).
   */
  private handover(): boolean {
    clearTimeout(this.retry);
    this.retry = undefined;
    clearTimeout(this.stable);
    clearTimeout(this.deadline);
    this.heartbeat.stop();
    this.conn?.abandon();
    this.conn = null;
    return this.open();
  }

  private open(): boolean {
    const Socket = this.socketClass();
    if (typeof Socket !== "function") {
      this.cannotOpen(new TypeError("no WebSocket here: pass options.WebSocket (in Node 20, the `ws` package)"));
      return false;
    }
    const { protocols, carried } = this.credentials.next();
    let conn: Connection | undefined;
    try {
      conn = new Connection(Socket, this.target, protocols, carried, {
        open: () => this.opened(conn as Connection),
        message: (e) => this.conn === conn && this.received(conn, e),
        close: (e) => this.closed(conn as Connection, e.code, e.reason, e.wasClean, e),
        error: (e) => this.conn === conn && this.fail(Object.assign(new Error("WebSocket error"), { event: e })),
      });
    } catch (e) {
      // A URL or subprotocol the WebSocket class refuses: retrying cannot help.
      this.cannotOpen(e);
      return false;
    }
    this.conn = conn;
    const s = this.settings;
    const timeout = (s.connectTimeout ?? s.pingTimeout) * 1000;
    if (timeout > 0) {
      const opening = conn;
      this.deadline = setTimeout(() => {
        if (this.conn !== opening || opening.opened) return;
        // Never opened (a black-holed SYN, a proxy that never answers): handled as a cut.
        opening.abandon(1000, "sockizy: connect timeout");
        this.closed(opening, 1006, "connect timeout", false, null);
      }, timeout);
    }
    return true;
  }

  /** No socket could be made: stop, and close what the page was told is open (a handover's old socket is gone). */
  private cannotOpen(e: unknown): void {
    this.stop();
    if (this.announced) {
      this.announced = false;
      this.events.fire("close", 1006, "cannot open a WebSocket", null);
      this.events.fire("terminated", 1006, null);
    }
    this.fail(e);
  }

  private opened(conn: Connection): void {
    if (this.conn !== conn) return;
    conn.opened = true;
    clearTimeout(this.deadline);
    // The sign-in has done its job: the password (and the ticket of the session it replaces) leave memory now.
    if (conn.carried === "signin") this.credentials.signedIn();
    this.heartbeat.start();
    clearTimeout(this.stable);
    this.stable = setTimeout(() => {
      this.attempts = 0;
    }, this.settings.stableAfter * 1000);
    // Queued frames go first: they were sent before anything an open listener sends.
    if (conn.carried === "resume" && this.queue.length > 0) this.hold(conn);
    else this.flush(conn);
    if (this.reconnecting) {
      this.reconnecting = false;
      this.events.fire("restored", this.attempts);
      // A listener may have called disconnect() or connect(): this socket is no longer the page's.
      if (this.conn !== conn) return;
    }
    if (!this.announced) {
      this.announced = true;
      this.events.fire("open");
    }
  }

  private flush(conn: Connection): void {
    for (const frame of this.queue.drain()) conn.ws.send(frame);
  }

  /**
   * A resumed connection with frames queued: they were sent in the session
   * being resumed, so they wait for the server's word. The server binds a
   * resumed socket in the upgrade and sends its new ticket before anything
   * else; a refusal is {"t":"resume","ok":false}. A "#ping" sent now is
   * answered after either: a "#pong" first means the socket was not bound
   * (the cap refused it). No answer at all within pingTimeout: a dead link.
   */
  private hold(conn: Connection): void {
    conn.held = true;
    try {
      conn.ws.send(PING);
    } catch {
      // Closing already: its close event follows.
    }
    this.deadline = setTimeout(
      () => this.conn === conn && conn.held && this.lost(conn),
      this.settings.pingTimeout * 1000,
    );
  }

  /** The server's word on a held connection: the session is back (send the queue) or not (drop it). */
  private release(conn: Connection, restored: boolean): void {
    if (!conn.held) return;
    conn.held = false;
    clearTimeout(this.deadline);
    if (restored) this.flush(conn);
    else this.queue.clear();
  }

  private ping(): void {
    const c = this.conn;
    if (!c?.open) return;
    try {
      c.ws.send(PING);
    } catch {
      // The heartbeat's deadline decides.
    }
  }

  private received(conn: Connection, event: SocketMessageEvent): void {
    this.heartbeat.heard();
    const data = event.data;
    if (typeof data === "string") {
      if (data === PONG) {
        // The server answered before it bound the socket: the session did not come back.
        this.release(conn, false);
        return;
      }
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
          this.queue.clear();
          this.handover();
        }
        return;
      case "ticket":
        if (typeof c.ticket !== "string") return;
        if (!conn.ignoreTickets) this.credentials.setTicket(c.ticket);
        // The socket is bound: a resumed session is back.
        this.release(conn, true);
        return;
      case "resume":
        if (c.ok === false) {
          // Refused (expired, forged, kicked): this socket is anonymous now.
          this.forgetSession(false);
          this.release(conn, false);
          conn.credentialed = false;
          this.events.fire("unrestored", this.attempts, "session");
        }
        return;
      case "unbound":
        // Signed out (by any packet) or cleared: the ticket is void, whatever the page called it.
        this.forgetSession(false);
        this.release(conn, false);
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
    clearTimeout(this.deadline);
    this.announced = false;
    const final = this.settings.noReconnectCodes.includes(code);
    // Replaced or kicked: coming back (or resuming) would undo what the server
    // did. Forgotten before the events, whatever a listener does next.
    if (final) this.forgetSession(true);
    // An upgrade carrying the sign-in failed (e.g. HTTP 400): after the second, the
    // sign-in goes, with what was queued for the session it would have opened.
    const refused = !conn.opened && conn.carried === "signin" && this.credentials.signInFailed();
    if (refused) this.queue.clear();
    this.events.fire("close", code, reason, event);
    if (clean) this.events.fire("disconnected", code, reason, event);
    else this.events.fire("terminated", code, event);
    if (refused)
      this.fail(new Error(`the server refused the sign-in upgrade ${SIGNIN_TRIES} times: the sign-in is dropped`));
    // A listener may have called connect() or disconnect() meanwhile.
    if (!this.wanted || this.conn) return;
    if (final) {
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
    // One made while the browser says it is offline (at the cap, in case the
    // "online" event never comes) does not count against reconnectionAttempts.
    if (isOnline()) this.attempts++;
    if (this.wanted && !this.conn) this.open();
  }

  private online(): void {
    if (this.retry !== undefined) {
      // Soon, not at once: every page of a network that came back would otherwise reconnect in the same instant.
      clearTimeout(this.retry);
      const s = this.settings;
      this.retry = setTimeout(() => this.attempt(), Math.floor(s.random() * s.reconnectionDelay * 1000));
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

/** What `emit` throws for a packet name the send tables lack: it names the packet and what can be sent. */
function unknownPacket(name: string, sendable: readonly string[]): EncodeError {
  const shown = sendable.slice(0, 20).join(", ") + (sendable.length > 20 ? ", ..." : "");
  const known = sendable.length === 0 ? "none declared" : shown;
  return new EncodeError(`not a packet this client sends (packets(pack, unpack, shared): ${known})`, name);
}
