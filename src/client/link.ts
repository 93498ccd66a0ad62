// The client's link to the server: one WebSocket at a time, and what keeps
// it there (docs/client.md#behaviour): opening with a connect timeout,
// swapping sockets without close/open events (a sign-in, the server's
// reconnect instruction), the heartbeat, the offline queue and the
// lifecycle events. Its parts: reconnection.ts (whether and when to try
// again, online/offline) and server-word.ts (the server's control frames,
// the queue's hold on a resume). The sockizy API on top of it (packets,
// emit, sign-in and sign-out) is client.ts.
import { Credentials, SIGNIN_TRIES } from "./credentials.js";
import { Emitter } from "./emitter.js";
import { Heartbeat } from "./heartbeat.js";
import { type ClientOptions, DEFAULTS, type Settings, settle } from "./options.js";
import { type Frame, OfflineQueue } from "./queue.js";
import { Reconnection } from "./reconnection.js";
import type { AfterSignIn } from "./sent.js";
import { ServerWord } from "./server-word.js";
import { CLOSED, CONNECTING, Connection, OPEN, type SocketCloseEvent, type SocketMessageEvent } from "./socket.js";
import type { SendResult } from "./types.js";
import { connectionUrl, resolveUrl } from "./url.js";

export abstract class Link {
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = 2;
  readonly CLOSED = CLOSED;
  /** True from a drop until the next connection opens (or the client gives up). */
  reconnecting = false;

  protected readonly events = new Emitter();
  protected readonly settings: Settings;
  protected readonly queue: OfflineQueue;
  protected readonly credentials = new Credentials();
  protected conn: Connection | null = null;
  /** The page wants a connection (false before connect() and after disconnect() or a final close). */
  protected wanted = false;
  private readonly heartbeat: Heartbeat;
  private readonly reconnection: Reconnection;
  private readonly word: ServerWord;
  private target = "";
  /** The page was told "open" and not "close" since: a handover must not repeat it. */
  private announced = false;

  constructor(url: string | undefined, options: ClientOptions | undefined) {
    this.settings = settle(options);
    const s = this.settings;
    this.queue = new OfflineQueue({ size: s.queueSize, bytes: s.queueBytes, policy: s.queuePolicy });
    this.heartbeat = new Heartbeat(
      { interval: s.pingInterval * 1000, timeout: s.pingTimeout * 1000 },
      () => this.conn?.open && this.conn.ping(),
      () => {
        // Only an open socket can be dead: a closing one (the server's close
        // handshake under way) gets its close event, with the server's code.
        if (this.conn?.open) this.lost(this.conn);
      },
      () => this.conn?.ws.bufferedAmount ?? 0,
    );
    this.reconnection = new Reconnection(s, this.events, {
      giveUp: () => this.stop(),
      reopen: () => this.wanted && !this.conn && this.open(),
      probe: () => {
        if (this.conn?.open) this.heartbeat.probe();
        return !!this.conn?.open;
      },
    });
    this.word = new ServerWord(this.queue, this.credentials, s.pingTimeout * 1000, {
      deliver: (data, event) => this.deliver(data, event),
      redirect: (signIn, after) => this.redirect(signIn, after),
      unrestored: () => this.events.fire("unrestored", this.reconnection.attempts, "session"),
      lost: (conn) => this.conn === conn && this.lost(conn),
    });
    // Outside a browser there is no page host to default to: connect(url) later.
    if (url !== undefined || (globalThis as { location?: unknown }).location) this.target = resolveUrl(url, s.secure);
  }

  /** An application frame (text, or binary that is not a control frame) arrived. */
  protected abstract deliver(data: string | ArrayBuffer, event: SocketMessageEvent): void;

  /**
   * The server told the client to reconnect with a sign-in it had sent as
   * an ordinary frame; `after` is what went out on that socket after it
   * (client.ts reports it, and learns the sign-in packet). Called once the
   * client is on its new socket.
   */
  protected abstract redirected(after: AfterSignIn): void;

  /** connect() was pointed at another server: what the client learned of this one goes. */
  protected abstract anotherServer(): void;

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
   * Opens a connection now (to `url` if given), replacing any current one.
   * Another server is another session: the resume ticket, a pending
   * sign-in and the offline queue are dropped.
   */
  connect(url?: string, secure?: boolean): this {
    if (url !== undefined) {
      const target = resolveUrl(url, secure ?? this.settings.secure);
      if (target !== this.target) {
        this.forgetSession();
        this.anotherServer();
      }
      this.target = target;
    }
    if (!this.target) throw new TypeError("connect(): pass the server's URL");
    this.want();
    this.reconnection.attempts = 0;
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
  protected ready(): Connection | null {
    const c = this.conn;
    return c?.open && !c.held ? c : null;
  }

  /** `copy`: the frame is the page's (send()): a queued one must not change when the page reuses its buffer. */
  protected transmit(frame: Frame, copy = false): SendResult {
    const c = this.ready();
    if (c) {
      try {
        c.send(frame);
        return "sent";
      } catch (e) {
        this.fail(e);
        return "dropped";
      }
    }
    if (!this.wanted) return "dropped";
    return this.queue.push(copy && typeof frame !== "string" ? frame.slice(0) : frame);
  }

  /** Another server, or a final close: the session goes (its ticket, a pending sign-in and the queue). */
  private forgetSession(): void {
    this.credentials.clear();
    this.queue.clear();
  }

  protected fail(e: unknown): void {
    this.events.fire("error", e instanceof Error ? e : new Error(String(e)));
  }

  // ---------------------------------------------------------------- connections

  private socketClass() {
    return this.settings.WebSocket ?? (globalThis as unknown as { WebSocket?: ClientOptions["WebSocket"] }).WebSocket;
  }

  private want(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.reconnection.watch();
  }

  /** The page no longer wants a connection: nothing is retried, so the sign-in (a password) goes too. */
  private stop(): void {
    this.wanted = false;
    this.reconnecting = false;
    this.queue.clear();
    this.credentials.dropSignIn();
    this.reconnection.stop();
  }

  /**
   * Replaces the current connection (if any) with a new one, with no close
   * or open events in between. False when no new one could be made (then
   * the client has stopped, and said so).
   */
  protected handover(): boolean {
    this.reconnection.cancel();
    this.reconnection.unstable();
    clearTimeout(this.conn?.deadline);
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
    const s = this.settings;
    let conn: Connection | undefined;
    try {
      const url = connectionUrl(this.target, s.pingInterval, DEFAULTS.pingInterval);
      conn = new Connection(Socket, url, protocols, carried, (s.connectTimeout ?? s.pingTimeout) * 1000, {
        open: () => this.opened(conn as Connection),
        message: (e) => this.conn === conn && this.received(conn, e),
        close: (e) => this.closed(conn as Connection, e.code, e.reason, e.wasClean, e),
        error: (e) => this.conn === conn && this.fail(Object.assign(new Error("WebSocket error"), { event: e })),
        // Never opened (a black-holed SYN, a proxy that never answers): handled as a cut.
        timeout: () => this.conn === conn && this.cut(conn, "connect timeout", "connect timeout"),
      });
    } catch (e) {
      // A URL or subprotocol the WebSocket class refuses: retrying cannot help.
      this.cannotOpen(e);
      return false;
    }
    this.conn = conn;
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
    clearTimeout(conn.deadline);
    // The sign-in has done its job: the password (and the ticket of the session it replaces) leave memory now.
    if (conn.carried === "signin") this.credentials.signedIn();
    this.heartbeat.start();
    this.reconnection.opened();
    this.word.opened(conn);
    // A first ping at once (a held connection has sent its own): answered by the server's
    // runtime without waking an object, it lets a close the server makes later end the
    // connection at once rather than ~10 s on (docs/limits.md, runtime closes).
    if (!conn.held && this.settings.pingInterval > 0) conn.ping();
    if (this.reconnecting) {
      this.reconnecting = false;
      this.events.fire("restored", this.reconnection.attempts);
      // A listener may have called disconnect() or connect(): this socket is no longer the page's.
      if (this.conn !== conn) return;
    }
    if (!this.announced) {
      this.announced = true;
      this.events.fire("open");
    }
  }

  private received(conn: Connection, event: SocketMessageEvent): void {
    this.heartbeat.heard();
    this.word.received(conn, event);
  }

  /** The server's reconnect instruction (server-word.ts): a new socket carries the sign-in. */
  private redirect(signIn: string, after: AfterSignIn | undefined): void {
    if (!this.wanted) return;
    this.credentials.setSignIn(signIn);
    this.queue.clear();
    this.handover();
    if (after) this.redirected(after);
  }

  /** The heartbeat (or a held connection's deadline) found the link dead. */
  private lost(conn: Connection): void {
    this.cut(conn, "no heartbeat", "heartbeat timeout");
  }

  /** Gives the socket up (closing it with "sockizy: `told`") and handles it as a cut (1006, `reason`). */
  private cut(conn: Connection, told: string, reason: string): void {
    conn.abandon(1000, `sockizy: ${told}`);
    this.closed(conn, 1006, reason, false, null);
  }

  private closed(conn: Connection, code: number, reason: string, clean: boolean, event: SocketCloseEvent | null): void {
    if (this.conn !== conn) return;
    this.conn = null;
    this.heartbeat.stop();
    this.reconnection.unstable();
    clearTimeout(conn.deadline);
    this.announced = false;
    const final = this.settings.noReconnectCodes.includes(code);
    // Replaced or kicked: coming back (or resuming) would undo what the server
    // did. Forgotten before the events, whatever a listener does next.
    if (final) this.forgetSession();
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
    // Until the next open, unless reconnection gives up (stop()).
    this.reconnecting = true;
    this.reconnection.dropped(code);
  }
}
