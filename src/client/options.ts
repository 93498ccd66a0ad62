// The client's options and their defaults. Durations are in seconds, as
// the original's reconnectionDelay was.
import { CLOSE } from "../protocol/control.js";
import type { QueuePolicy } from "./queue.js";
import type { WebSocketClass } from "./socket.js";

export interface ClientOptions {
  /** The WebSocket class. Default: the global one (browsers, Deno, Node 22+); Node 20 needs `ws`. */
  WebSocket?: WebSocketClass;
  /** wss (true) or ws (false) for a URL without a scheme. Default: the URL's scheme, else the page's. */
  secure?: boolean;
  /** Connect when created. Default true. */
  autoConnect?: boolean;

  /** Reconnect after a drop. Default true. */
  reconnection?: boolean;
  /** Attempts in a row before giving up (`unrestored`). Default Infinity. */
  reconnectionAttempts?: number;
  /** Backoff base: the first attempt waits a random time below this. Seconds, default 1. */
  reconnectionDelay?: number;
  /** Backoff cap. Seconds, default 30. */
  reconnectionDelayMax?: number;
  /** A connection open this long resets the attempt count and the backoff. Seconds, default 10. */
  stableAfter?: number;
  /** Close codes after which the client neither reconnects nor keeps its ticket. Default [4001, 4003] (replaced, kicked). */
  noReconnectCodes?: readonly number[];
  /** Seconds a connection may take to open before it is given up and handled as cut (1006). Default: pingTimeout; 0 turns it off. */
  connectTimeout?: number;

  /** Seconds between heartbeat pings; 0 turns the heartbeat off. Default 25. */
  pingInterval?: number;
  /** Seconds of silence after a ping before the link is declared dead (extended while the ping waits behind data that is still draining). Default 10. */
  pingTimeout?: number;

  /** Frames held while disconnected; 0 turns the queue off. Default 100. */
  queueSize?: number;
  /** Bytes held while disconnected. Default 1 MiB. */
  queueBytes?: number;
  /** What a full queue does (see queue.ts). Default "drop-newest". */
  queuePolicy?: QueuePolicy;

  /** The application's sign-in packet. Default "common.signIn". */
  signIn?: string;
  /** The application's sign-out packet. Default "common.signOut". */
  signOut?: string;

  /** Follow the browser's online/offline events. Default true (a no-op outside browsers). */
  watchOnline?: boolean;
  /** The jitter source, in [0, 1). Default Math.random (tests pass their own). */
  random?: () => number;
}

/** Options with no fixed default: their absence means something (the global WebSocket, the URL's scheme, pingTimeout). */
type Open = "WebSocket" | "secure" | "connectTimeout";

export type Settings = Required<Omit<ClientOptions, Open>> & Pick<ClientOptions, Open>;

export const DEFAULTS: Readonly<Omit<Settings, Open>> = {
  autoConnect: true,
  reconnection: true,
  reconnectionAttempts: Number.POSITIVE_INFINITY,
  reconnectionDelay: 1,
  reconnectionDelayMax: 30,
  stableAfter: 10,
  noReconnectCodes: [CLOSE.replaced, CLOSE.kicked],
  pingInterval: 25,
  pingTimeout: 10,
  queueSize: 100,
  queueBytes: 1024 * 1024,
  queuePolicy: "drop-newest",
  signIn: "common.signIn",
  signOut: "common.signOut",
  watchOnline: true,
  random: Math.random,
};

/** Options over defaults; undefined values do not override. */
export function settle(...layers: (ClientOptions | undefined)[]): Settings {
  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer ?? {})) if (v !== undefined) out[k] = v;
  }
  return out as Settings;
}
