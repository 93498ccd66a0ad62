// The edge session server as a library (`import { createEdge, defineApp }
// from "sockizy-edge"`): give it an application, export what it returns from
// your Worker's entry module (README.md#use-it-in-your-app; src/index.ts is
// the seed's).
import type { DurableObject } from "cloudflare:workers";
import type { App, PacketMaps } from "./app/define-app.js";
import { lobbyObjectClass } from "./host/lobby-object.js";
import { userObjectClass } from "./host/user-object.js";
import { LimiterObject } from "./limits/limiter-object.js";
import { clientScripts } from "./pages/client-scripts.js";
import type { Pages } from "./pages/pages.js";
import { firstOf } from "./pages/pages.js";
import { registryObjectClass } from "./registry/registry-object.js";
import type { Env } from "./rpc/env.js";
import { createWorker } from "./worker/worker.js";

export {
  type App,
  type AppOptions,
  type CapPolicy,
  defineApp,
  type Handlers,
  type PacketMaps,
  type SignInOptions,
  type SignInOutcome,
  type Uid,
} from "./app/define-app.js";
export type { Pages } from "./pages/pages.js";
export type { Env } from "./rpc/env.js";
export type { Io, ServerSocket, SocketSession } from "./sockets/socket.js";

export interface EdgeOptions {
  /** Serve /sockizy.js and /sockizy.mjs with the application's packet tables. Default true. */
  readonly scripts?: boolean;
  /** More routes for plain HTTP requests, tried after the scripts (the seed adds its demo page). */
  readonly pages?: Pages;
}

/** The Worker: `export default edge.worker` from the entry module. */
export type EdgeWorker = ExportedHandler<Env>;

/** A Durable Object class, as wrangler.toml's `[[durable_objects.bindings]]` name it. */
export type DurableObjectClass = new (ctx: DurableObjectState, env: Env) => DurableObject<Env>;

/** Every Durable Object class the deployment binds, by the class name wrangler.toml uses. */
function classes<T extends Record<string, unknown>>(all: T): { readonly [K in keyof T]: DurableObjectClass } {
  return all as never;
}

export function createEdge<P extends PacketMaps>(typedApp: App<P>, options: EdgeOptions = {}) {
  const app = typedApp as unknown as App;
  const pages = firstOf(options.scripts === false ? undefined : clientScripts(app), options.pages);
  const worker: EdgeWorker = createWorker(app, pages);
  return {
    worker,
    ...classes({
      UserObject: userObjectClass(app),
      LobbyObject: lobbyObjectClass(app),
      RegistryObject: registryObjectClass(app),
      LimiterObject,
    }),
  };
}
