// Flood control an application declares (`defineApp({ floods })`,
// docs/floods.md), its defaults, and their checks: bad values throw at
// defineApp, naming the option, so nothing is found out at the first frame.

/**
 * A token bucket over frames (text and binary) and their bytes: at most
 * `frameBurst` frames and `byteBurst` bytes at once, refilled at
 * `framesPerSecond` and `bytesPerSecond` (docs/floods.md#frames-per-socket-and-per-user).
 */
export interface FrameLimit {
  readonly framesPerSecond: number;
  /** Frames at once: a whole number, at least 1. */
  readonly frameBurst: number;
  /** Bytes per second (text in UTF-8). */
  readonly bytesPerSecond: number;
  /** Bytes at once: at least `maxPayload`, or a frame of that size could never pass. */
  readonly byteBurst: number;
}

export interface FloodOptions {
  /** Each socket's frames. Fields left out keep their default; `false`: not limited. */
  readonly perSocket?: Partial<FrameLimit> | false;
  /** The frames of all sockets bound to one uid (relayed ones too), in its user object. `false`: not limited. */
  readonly perUser?: Partial<FrameLimit> | false;
  /**
   * Anonymous sockets open at once per client address (`CF-Connecting-IP`),
   * over the lobbies; past it an upgrade gets 429 with `Retry-After`.
   * `false`: not capped (and lobbies are picked at random again).
   */
  readonly anonymousPerIp?: number | false;
}

/** Which bucket closed a socket: its own, or its user's (all the uid's sockets in its user object). */
export type FloodLimit = "socket" | "user";

/** The flood limits with defaults filled in; null means not limited. */
export interface Floods {
  readonly perSocket: FrameLimit | null;
  readonly perUser: FrameLimit | null;
  readonly anonymousPerIp: number | null;
}

const KiB = 1024;

/**
 * The defaults (docs/floods.md#defaults-and-why): a game's 20-60 input frames
 * a second pass with room to spare, and the client's whole offline queue
 * (100 frames, 1 MiB: docs/client.md#offline-queue) passes at once when it
 * reconnects; a user's sockets together get 1.5 times one socket's, so one
 * uid cannot multiply its rate by opening sockets. `byteBurst` is at least
 * `maxPayload` when that is larger.
 */
export const FLOOD_DEFAULTS = {
  perSocket: { framesPerSecond: 100, frameBurst: 200, bytesPerSecond: 256 * KiB, byteBurst: 2048 * KiB },
  perUser: { framesPerSecond: 150, frameBurst: 300, bytesPerSecond: 384 * KiB, byteBurst: 3072 * KiB },
  anonymousPerIp: 100,
} as const satisfies { perSocket: FrameLimit; perUser: FrameLimit; anonymousPerIp: number };

const FIELDS = ["framesPerSecond", "frameBurst", "bytesPerSecond", "byteBurst"] as const;
const OPTIONS = ["perSocket", "perUser", "anonymousPerIp"] as const;

/** The app's flood options over the defaults; a RangeError or TypeError naming the option for a bad one. */
export function resolveFloods(options: FloodOptions | false | undefined, maxPayload: number): Floods {
  if (options === false) return { perSocket: null, perUser: null, anonymousPerIp: null };
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw new TypeError("floods: an object ({ perSocket, perUser, anonymousPerIp }) or false");
  }
  unknownKeys("floods", options ?? {}, OPTIONS);
  return {
    perSocket: frameLimit("perSocket", options?.perSocket, maxPayload),
    perUser: frameLimit("perUser", options?.perUser, maxPayload),
    anonymousPerIp: anonymousPerIp(options?.anonymousPerIp),
  };
}

function frameLimit(
  name: "perSocket" | "perUser",
  given: Partial<FrameLimit> | false | undefined,
  maxPayload: number,
): FrameLimit | null {
  if (given === false) return null;
  if (given !== undefined && (given === null || typeof given !== "object")) {
    throw new TypeError(`floods.${name}: an object (${FIELDS.join(", ")}) or false`);
  }
  unknownKeys(`floods.${name}`, given ?? {}, FIELDS);
  const d = FLOOD_DEFAULTS[name];
  const limit: FrameLimit = {
    framesPerSecond: given?.framesPerSecond ?? d.framesPerSecond,
    frameBurst: given?.frameBurst ?? d.frameBurst,
    bytesPerSecond: given?.bytesPerSecond ?? d.bytesPerSecond,
    byteBurst: given?.byteBurst ?? Math.max(d.byteBurst, maxPayload),
  };
  for (const rate of ["framesPerSecond", "bytesPerSecond"] as const) {
    const v = limit[rate];
    if (!(typeof v === "number" && Number.isFinite(v) && v > 0)) {
      throw new RangeError(`floods.${name}.${rate} must be a number above 0 (got ${String(v)})`);
    }
  }
  if (!(Number.isInteger(limit.frameBurst) && limit.frameBurst >= 1)) {
    throw new RangeError(`floods.${name}.frameBurst must be a whole number of at least 1 (got ${limit.frameBurst})`);
  }
  if (!(Number.isInteger(limit.byteBurst) && limit.byteBurst >= maxPayload)) {
    throw new RangeError(
      `floods.${name}.byteBurst must be a whole number of at least maxPayload (${maxPayload}), or a frame of that size could never pass (got ${limit.byteBurst})`,
    );
  }
  return limit;
}

function anonymousPerIp(given: number | false | undefined): number | null {
  if (given === false) return null;
  const n = given ?? FLOOD_DEFAULTS.anonymousPerIp;
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new RangeError(`floods.anonymousPerIp must be a whole number of at least 1, or false (got ${String(n)})`);
  }
  return n;
}

/** A misspelt option would otherwise be ignored without a word. */
function unknownKeys(where: string, given: object, known: readonly string[]): void {
  const unknown = Object.keys(given).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new TypeError(
      `${where}: unknown option ${unknown.map((k) => `"${k}"`).join(", ")} (known: ${known.join(", ")})`,
    );
  }
}
