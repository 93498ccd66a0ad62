// The part of the WebSocket API the client uses, which browsers and the
// `ws` package for Node both provide, and one connection attempt over it.
import { PING } from "../protocol/control.js";
import type { Carried } from "./credentials.js";
import type { Frame } from "./queue.js";
import { remember, type Sent } from "./sent.js";

/** Close and message events, as browsers and `ws` deliver them. */
export interface SocketCloseEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}
export interface SocketMessageEvent {
  readonly data: unknown;
}

/**
 * An event handler slot. Checked both ways (method-style), so the `ws`
 * package's handlers, typed with its own event classes, fit: `io(url, {
 * WebSocket })` with `ws` needs no cast.
 */
type Listener<E> = { bivarianceHack(event: E): void }["bivarianceHack"];

export interface SocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  onopen: Listener<unknown> | null;
  onmessage: Listener<SocketMessageEvent> | null;
  onclose: Listener<SocketCloseEvent> | null;
  onerror: Listener<unknown> | null;
}

export type WebSocketClass = new (url: string, protocols?: string | string[]) => SocketLike;

/** WebSocket readyState values (the same everywhere). */
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

export interface ConnectionEvents {
  open(): void;
  message(event: SocketMessageEvent): void;
  close(event: SocketCloseEvent): void;
  error(event: unknown): void;
  /** It did not open within the connect timeout. */
  timeout(): void;
}

const noop = () => {};

/** One WebSocket and what its upgrade carried. */
export class Connection {
  readonly ws: SocketLike;
  /** Set after a sign-out on this socket, so a ticket already on its way is not kept. */
  ignoreTickets = false;
  /** The server may hold this socket in a user's object (its upgrade carried a sign-in or a ticket). */
  credentialed: boolean;
  /** It opened (a close before that is a failed upgrade). */
  opened = false;
  /**
   * A resumed connection keeps the offline queue until the server has said
   * whether the session is back (server-word.ts, "hold"): sends wait in the queue.
   */
  held = false;
  /** The deadline it must meet: to open (connectTimeout), then, when held, the server's word (pingTimeout). */
  deadline: ReturnType<typeof setTimeout> | undefined;
  /** What went out on it, for the reconnect instruction (sent.ts). */
  readonly sent: Sent[] = [];

  constructor(
    Socket: WebSocketClass,
    url: string,
    protocols: string[],
    /** What the upgrade carried: a sign-in, a resume ticket, or nothing. */
    readonly carried: Carried,
    /** ms it may take to open; 0 or less: no limit. */
    connectTimeout: number,
    on: ConnectionEvents,
  ) {
    this.credentialed = carried !== null;
    this.ws = new Socket(url, protocols);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => on.open();
    this.ws.onmessage = (e) => on.message(e);
    this.ws.onclose = (e) => on.close(e);
    this.ws.onerror = (e) => on.error(e);
    if (connectTimeout > 0) this.deadline = setTimeout(() => this.opened || on.timeout(), connectTimeout);
  }

  get open(): boolean {
    return this.ws.readyState === OPEN;
  }

  /** Sends `frame` and remembers it (sent.ts). */
  send(frame: Frame): void {
    this.ws.send(frame);
    remember(this.sent, frame);
  }

  /** Sends "#ping", which the server answers with "#pong" (docs/protocol.md#wire-additions). */
  ping(): void {
    try {
      this.ws.send(PING);
    } catch {
      // Closing already: its close event follows, or the deadline the ping arms decides.
    }
  }

  /**
   * Closes without telling the client: the socket is being replaced (a
   * handover) or is already given up (a dead link). The handlers become
   * no-ops rather than null: `ws` raises an unhandled "error" otherwise
   * when a connecting socket is closed.
   */
  abandon(code = 1000, reason = "sockizy: replaced"): void {
    const ws = this.ws;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = noop;
    if (ws.readyState === CONNECTING || ws.readyState === OPEN) {
      try {
        ws.close(code, reason);
      } catch {
        // A code browsers refuse (only 1000 and 3000-4999 may be sent): close plainly.
        ws.close();
      }
    }
  }
}
