// `io`: calls that reach every socket or any uid, wherever they are held.
// Each crosses objects (Durable Object RPC), so each is a promise.
import type { Uid } from "../app/define-app.js";
import type { Env } from "../rpc/env.js";
import { globalStub, userStub } from "../rpc/names.js";
import type { Io } from "./socket.js";

export class EdgeIo implements Io {
  readonly session: Io["session"];

  constructor(
    private readonly env: Env,
    private readonly encode: (name: string, data: unknown) => Uint8Array,
    /** `size` from where the caller is: its registry shard, never the global object (docs/scale.md#size-from-the-shards). */
    size: () => Promise<number>,
  ) {
    this.session = {
      clear: (uid: Uid) => userStub(env, uid).clear(uid),
      count: (uid: Uid) => userStub(env, uid).count(uid),
      size,
      emit: (message: unknown, uid?: Uid) =>
        uid === undefined
          ? globalStub(env)
              .sessionEmitAll(message)
              .then(() => {})
          : userStub(env, uid).sessionEmit(message, uid),
      list: (uid: Uid) => userStub(env, uid).sessions(uid),
    };
  }

  emit(name: string, data: unknown): Promise<void> {
    // Encoded once here; every object forwards the same bytes.
    return this.broadcast(this.encode(name, data));
  }

  text(data: string): Promise<void> {
    return this.broadcast(String(data));
  }

  json(data: unknown): Promise<void> {
    return this.broadcast(JSON.stringify(data));
  }

  /**
   * Down the tree: global object -> shards -> user objects, and -> lobbies.
   * Resolves once every object was reached or counted failed (docs/scale.md#broadcasts-as-a-tree).
   */
  private async broadcast(frame: string | Uint8Array): Promise<void> {
    await globalStub(this.env).broadcast(frame);
  }
}
