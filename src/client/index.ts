// The sockizy client for browsers and Node: `io(url?, options?)` as the
// original, and `io.packets(...)` to declare tables for every client made
// afterwards (what the served /sockizy.js does with the application's).
import { PacketTable } from "../protocol/index.js";
import { Client } from "./client.js";
import { refuseEventNames } from "./names.js";
import type { ClientOptions } from "./options.js";
import type { Declared } from "./types.js";

export interface Io {
  /** A client connected to `url` (default: the page's host). */
  (url?: string, options?: ClientOptions): Client;
  /** Declares packet tables for every client created after this call. */
  packets(...tables: Declared): Io;
  /** Options every client created after this starts from (a page's options win). */
  readonly defaults: ClientOptions;
}

const declared: Declared[] = [];
const defaults: ClientOptions = {};

/**
 * Makes a client: the original sockizy client's API (`packets`, `on`,
 * `emit`, `text`, `json`, `send`), plus reconnection, an offline queue, a
 * heartbeat, the sign-in in the WebSocket upgrade and session resume
 * (docs/client.md). `io.packets(...)` declares tables for every client made
 * after it; `io.defaults` holds the options they start from.
 *
 * @example
 * ```ts
 * import { io } from "sockizy-edge/client";
 * import WebSocket from "ws"; // Node 20 only: browsers and Node 22 have their own
 *
 * const socket = io("ws://127.0.0.1:8787", { WebSocket }).packets(
 *   { "common.signIn": ["login:str24", "password:str24"] }, // what the client sends
 *   { "chat.line": ["from:str24", "text:str256"] }, // what it receives
 * );
 * socket.on("chat.line", ({ from, text }) => console.log(`${from}: ${text}`));
 * socket.emit("common.signIn", { login: "D", password: "13" }); // carried by the upgrade
 * ```
 */
export const io: Io = Object.assign(
  (url?: string, options?: ClientOptions) => new Client(url, { ...defaults, ...options }, declared),
  {
    packets(...tables: Declared): Io {
      // Checked now (a SchemaError here), rather than at the first io().
      const all = [...declared, tables];
      refuseEventNames(
        new PacketTable(...all.flatMap(([pack, , shared]) => [pack, shared])),
        new PacketTable(...all.flatMap(([, unpack, shared]) => [unpack, shared])),
      );
      declared.push(tables);
      return io;
    },
    defaults,
  },
);

export default io;
export { backoffCeiling, backoffDelay } from "./backoff.js";
export { DEFAULTS } from "./options.js";
export type { QueuePolicy } from "./queue.js";
export { SignInRaceError } from "./sent.js";
export type { SocketLike, WebSocketClass } from "./socket.js";
export type { BuiltinEvents, ClientEvents, EmitData, EventName, SendResult, UnrestoredReason } from "./types.js";
export type { ClientOptions };
export { Client };
