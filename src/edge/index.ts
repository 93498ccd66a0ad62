// The edge session server as a library (`import { createEdge, defineApp }
// from "sockizy-edge"`): give it an application, export what it returns from
// your Worker's entry module (README.md#use-it-in-your-app; src/seed/worker.ts
// is the seed's). The folders beside this file hold one concern each
// (docs/architecture.md#the-file-map).
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
  type AttemptLimit,
  type CapPolicy,
  DEFAULT_SIGN_IN,
  DEFAULTS,
  defineApp,
  EVENT_DEFAULTS,
  type EventOptions,
  FLOOD_DEFAULTS,
  type FloodOptions,
  type FrameLimit,
  type Handlers,
  LIMIT_DEFAULTS,
  type LimitOptions,
  type OriginOptions,
  type PacketMaps,
  type ReceiveMap,
  type SendMap,
  type SignInOptions,
  type SignInOutcome,
  type Uid,
} from "./app/define-app.js";
export { firstOf, type Pages } from "./pages/pages.js";
export type { Env } from "./rpc/env.js";
export type { Io, ServerSocket, SessionInfo, SocketSession } from "./sockets/socket.js";

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

/**
 * The edge server for an application: the Worker and every Durable Object
 * class its `wrangler.toml` binds. Besides the WebSocket endpoint the Worker
 * serves `/sockizy.js` and `/sockizy.mjs` (the client with the app's packet
 * tables declared) unless `scripts: false`, then `pages`, then 404.
 *
 * @example
 * ```ts
 * // src/index.ts: wrangler.toml's `main`
 * import { createEdge } from "sockizy-edge";
 * import { app } from "./app.js";
 *
 * const edge = createEdge(app, { pages: (request, env) => env.ASSETS.fetch(request) });
 * export default edge.worker;
 * export const { UserObject, LobbyObject, RegistryObject, LimiterObject } = edge;
 * ```
 */
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
