// The edge session server as a library: give it an application, export
// what it returns from your Worker's entry module (see src/index.ts).
import type { App, PacketMaps } from "./app.js";
import { lobbyObjectClass } from "./lobby-object.js";
import { registryObjectClass } from "./registry-object.js";
import { userObjectClass } from "./user-object.js";
import { createWorker, type Pages } from "./worker.js";

export { type App, type CapPolicy, defineApp, type PacketMaps, type SignInOutcome, type Uid } from "./app.js";
export type { Env } from "./env.js";
export type { Io, ServerSocket, SocketSession } from "./socket.js";
export type { Pages } from "./worker.js";

export function createEdge<P extends PacketMaps>(typedApp: App<P>, pages?: Pages) {
  const app = typedApp as unknown as App;
  return {
    worker: createWorker(app, pages),
    UserObject: userObjectClass(app),
    LobbyObject: lobbyObjectClass(app),
    RegistryObject: registryObjectClass(app),
  };
}
