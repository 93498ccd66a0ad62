// What the server says on the current connection besides the application's
// frames: its control frames (docs/protocol.md#wire-additions, the ticket
// and its refusal: docs/client.md#resume), and the word a resumed
// connection's offline queue waits for (docs/client.md#offline-queue). The
// link (link.ts) hands it every frame that arrives and each connection that
// opens; what needs the link's connection goes back through LinkMoves.
import { decodeControl, fromBase64Url, PONG } from "../protocol/control.js";
import type { Credentials } from "./credentials.js";
import type { OfflineQueue } from "./queue.js";
import { type AfterSignIn, sentAfter } from "./sent.js";
import type { Connection, SocketMessageEvent } from "./socket.js";

/** Control frames this client understands (docs/protocol.md#wire-additions); anything else is ignored. */
type ServerControl =
  | { t: "reconnect"; signin?: unknown }
  | { t: "ticket"; ticket?: unknown }
  | { t: "resume"; ok?: unknown }
  | { t: "unbound" }
  | { t: "probe" }
  | { t?: undefined };

/** What the server's word asks of the link. */
export interface LinkMoves {
  /** An application frame (text, or binary that is not a control frame) arrived. */
  deliver(data: string | ArrayBuffer, event: SocketMessageEvent): void;
  /**
   * The reconnect instruction: come back on a new socket whose upgrade
   * carries `signIn` (base64url). `after`: what went out after that sign-in
   * on this socket (undefined when the instruction names no packet).
   */
  redirect(signIn: string, after: AfterSignIn | undefined): void;
  /** The server refused to resume the session: the page hears `unrestored(n, "session")`. */
  unrestored(): void;
  /** No word came within pingTimeout: the link is dead. */
  lost(conn: Connection): void;
}

export class ServerWord {
  constructor(
    private readonly queue: OfflineQueue,
    private readonly credentials: Credentials,
    /** ms a held connection waits for the server's word (pingTimeout). */
    private readonly timeout: number,
    private readonly link: LinkMoves,
  ) {}

  /** A connection opened: the queue goes out first (it was sent before anything an open listener sends). */
  opened(conn: Connection): void {
    if (conn.carried === "resume" && this.queue.length > 0) this.hold(conn);
    else this.flush(conn);
  }

  received(conn: Connection, event: SocketMessageEvent): void {
    const data = event.data;
    if (typeof data === "string") {
      // The server answered before it bound the socket: the session did not come back.
      if (data === PONG) this.release(conn, false);
      else this.link.deliver(data, event);
      return;
    }
    const buffer = data as ArrayBuffer;
    const bytes = new Uint8Array(buffer);
    // Packet id 0xFFFF: a control frame, never the application's.
    if (bytes[0] === 0xff && bytes[1] === 0xff) this.control(conn, decodeControl(bytes) as ServerControl | undefined);
    else this.link.deliver(buffer, event);
  }

  private control(conn: Connection, c: ServerControl | undefined): void {
    switch (c?.t) {
      case "reconnect":
        // The socket sits where it cannot be bound: come back with the sign-in in the upgrade.
        if (typeof c.signin === "string") {
          // What went out after the sign-in was handled on this socket, before the sign-in took effect.
          const signIn = fromBase64Url(c.signin);
          this.link.redirect(c.signin, signIn && signIn.length >= 2 ? sentAfter(conn.sent, signIn) : undefined);
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
          this.ended(conn);
          conn.credentialed = false;
          this.link.unrestored();
        }
        return;
      case "unbound":
        // Signed out (by any packet) or cleared: the ticket is void, whatever the page called it.
        this.ended(conn);
        return;
      case "probe":
        // Are you alive? A sign-in the cap would refuse waits for the answer; silence for a few
        // seconds closes this socket (docs/protocol.md#wire-additions). The runtime answers the
        // ping without waking the server's object, and records it: that is the answer.
        conn.ping();
        return;
    }
  }

  /** The session is over: its ticket goes, and what was queued for it. */
  private ended(conn: Connection): void {
    this.credentials.dropTicket();
    this.queue.clear();
    this.release(conn, false);
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
    conn.ping();
    conn.deadline = setTimeout(() => conn.held && this.link.lost(conn), this.timeout);
  }

  /** The server's word on a held connection: the session is back (send the queue) or not (drop it). */
  private release(conn: Connection, restored: boolean): void {
    if (!conn.held) return;
    conn.held = false;
    clearTimeout(conn.deadline);
    if (restored) this.flush(conn);
    else this.queue.clear();
  }

  private flush(conn: Connection): void {
    for (const frame of this.queue.drain()) conn.send(frame);
  }
}
