// The client's typing: packet names and payloads come from the schemas
// (the codec's inference), built-in events have fixed signatures. A client
// without declared packets (or declared from plain JavaScript) takes any
// name and any payload.
import type { PacketData, PacketInput, SchemaMap } from "../protocol/index.js";
import type { SocketCloseEvent, SocketMessageEvent } from "./socket.js";

/** What `emit`, `send`, `text` and `json` did with the message. */
export type SendResult =
  /** Handed to the open socket. */
  | "sent"
  /**
   * Held in the offline queue (or, for the sign-in, carried by the connection
   * being opened). Queued frames are dropped if their session ends first
   * (a sign-in, a sign-out, a refused resume, ...: docs/client.md#offline-queue).
   */
  | "queued"
  /** Not sent and never will be: the queue is full or off, the client is stopped (disconnect(), a final close, given up), or the data could not be encoded. */
  | "dropped";

/** Why `unrestored` fired. */
export type UnrestoredReason =
  /** reconnectionAttempts ran out (the original's meaning). */
  | "attempts"
  /** The connection is back but the server refused the resume ticket: the page is signed out. */
  | "session";

type Loose<M> = string extends keyof M ? true : false;

/** The data `emit(name, data)` accepts. */
export type EmitData<M, K extends keyof M> = Loose<M> extends true ? unknown : PacketInput<M[K]>;

/** The arguments of the `packet` event, discriminated by name. */
export type PacketArgs<M> =
  Loose<M> extends true
    ? [name: string, data: unknown, accept: () => void]
    : { [K in keyof M & string]: [name: K, data: PacketData<M[K]>, accept: () => void] }[keyof M & string];

export interface BuiltinEvents<M> {
  /** A connection opened (the first, or again after a drop). */
  open: () => void;
  /** A connection closed, for any reason (then `disconnected` or `terminated`). */
  close: (code: number, reason: string, event: SocketCloseEvent | null) => void;
  /** It closed cleanly (a close handshake took place). */
  disconnected: (code: number, reason: string, event: SocketCloseEvent | null) => void;
  /** It was cut (no close handshake, or the heartbeat found the link dead). */
  terminated: (code: number, event: SocketCloseEvent | null) => void;
  /** A reconnection attempt starts; `attempts` were made before it. */
  restoring: (attempts: number) => void;
  /** Connected again after `attempts` attempts. */
  restored: (attempts: number) => void;
  /** Gave up reconnecting, or the session could not be resumed. */
  unrestored: (attempts: number, reason: UnrestoredReason) => void;
  /** Any frame of the application (text or binary). */
  message: (data: string | ArrayBuffer, event: SocketMessageEvent) => void;
  /** A text frame. */
  text: (data: string, event: SocketMessageEvent) => void;
  /** A text frame that parses as JSON (only parsed when someone listens). */
  json: (data: unknown, event: SocketMessageEvent) => void;
  /** A binary frame; listening to it turns packet decoding off. */
  arraybuffer: (data: ArrayBuffer, event: SocketMessageEvent) => void;
  /** A decoded packet; while someone listens, the packet's own event fires only when `accept()` is called. */
  packet: (...args: PacketArgs<M>) => void;
  error: (error: Error) => void;
}

type PacketListeners<M> =
  Loose<M> extends true
    ? // biome-ignore lint/suspicious/noExplicitAny: an undeclared packet's payload is unknown to the types
      { [name: string]: (...args: any[]) => void }
    : { [K in keyof M & string]: (data: PacketData<M[K]>) => void };

/** Every event of a client that receives the packets of M. Packet names never clash with built-ins (packets() refuses them). */
export type ClientEvents<M> = Omit<PacketListeners<M>, keyof BuiltinEvents<M>> & BuiltinEvents<M>;

export type EventName<M> = keyof ClientEvents<M> & string;

/** Schema maps of one `packets()` call in client order. */
export type Declared = [pack: SchemaMap | null, unpack?: SchemaMap | null, shared?: SchemaMap | null];
