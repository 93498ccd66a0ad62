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
