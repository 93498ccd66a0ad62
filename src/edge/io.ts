// `io`: calls that reach every socket or any uid, wherever they are held.
// Each crosses objects (Durable Object RPC), so each is a promise.
import type { Uid } from "./app.js";
import { type Env, registryStub, userStub } from "./env.js";
import type { Io } from "./socket.js";

export class EdgeIo implements Io {
  readonly session: Io["session"];

  constructor(
    private readonly env: Env,
    private readonly encode: (name: string, data: unknown) => Uint8Array,
  ) {
    this.session = {
      clear: (uid: Uid) => userStub(env, uid).clear(uid),
      count: (uid: Uid) => userStub(env, uid).count(uid),
      size: () => registryStub(env).size(),
      emit: (message: unknown, uid?: Uid) =>
        uid === undefined ? registryStub(env).sessionEmitAll(message) : userStub(env, uid).sessionEmit(message, uid),
    };
  }

  emit(name: string, data: unknown): Promise<void> {
    // Encoded once here; every object forwards the same bytes.
    return registryStub(this.env).broadcast(this.encode(name, data));
  }

  text(data: string): Promise<void> {
    return registryStub(this.env).broadcast(String(data));
  }

  json(data: unknown): Promise<void> {
    return registryStub(this.env).broadcast(JSON.stringify(data));
  }
}
