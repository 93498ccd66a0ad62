// What a chaos run needs from one application: how its clients connect and
// send the ops, and how its handlers turn the model's spec-level events into
// frames (the seed's in seed-wire.ts, the probe app's in probe-wire.ts).
import type { Received as RawFrame, TestClient } from "../helpers.js";
import type { Expected, Frame, FrameLike } from "./expect.js";
import type { Profile } from "./generator.js";
import type { Credentials, Effect, ModelRules, SessionModel, Uid } from "./model.js";
import type { Op } from "./ops.js";

export interface Wire {
  readonly name: string;
  readonly rules: ModelRules;
  readonly profile: Profile;
  /** Registry shards: which shard objects a `hibernate` op evicts (docs/scale.md#registry-shards). */
  readonly registryShards: number;
  /** The close code of the app's `disconnect` op (when `profile.disconnect`). */
  readonly disconnectCode: number;
  /**
   * Opens a socket through the Worker, signed in through the upgrade if
   * credentials are given: with `ctl`, offering the sockizy subprotocol (the
   * sign-in in a subprotocol too), else offering none (the sign-in in
   * `?signin=`), as the original sockizy client or a plain WebSocket does.
   */
  open(credentials: Credentials | undefined, ip: string, ctl: boolean): Promise<TestClient>;
  /**
   * Performs a call op (signIn, signOut, disconnect, clear, kick, emit,
   * broadcast, count) on the real system. Adds to `expected` the answers the
   * op itself gets besides the model's effects; resolves to problems seen
   * in direct answers (an admin count, say).
   */
  perform(op: Op, client: (id: number) => TestClient, model: SessionModel, expected: Expected): Promise<string[]>;
  /** Asks `size` through a socket's handler; resolves to the number it answered (the answer frame is left for the checker). */
  askSize(client: TestClient): Promise<{ frame: Frame; size: number }>;
  /** `size` through the admin path or the global object: what is exact once quiet. */
  size(): Promise<number>;
  /** The frames the app's handlers send for these events (`model` is the state after them). */
  frames(effects: Effect[], model: SessionModel, expected: Expected, gone: Set<number>, size: SizeOf): void;
  /** A received frame as the checker compares it: text as is, binary described. */
  describe(frame: RawFrame): Frame;
}

/** What `size` a sign-in reply for uid may carry, as a matcher over the app's reply text. */
export type SizeOf = (uid: Uid, text: (size: number) => string) => FrameLike | Frame;

/**
 * Visits effects in order with whether their socket can still receive: not
 * once it is closed (by the client before the op, or by an earlier close
 * effect of the same op).
 */
export function eachReceivable(
  effects: Effect[],
  gone: Set<number>,
  visit: (e: Effect, receivable: (id: number) => boolean) => void,
): void {
  const closed = new Set(gone);
  for (const e of effects) {
    visit(e, (id) => !closed.has(id));
    if (e.kind === "close") closed.add(e.to);
  }
}
