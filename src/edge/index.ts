// The edge session server as a library (`import { createEdge, defineApp }
// from "sockizy-edge"`): give it an application, export what it returns from
// your Worker's entry module (README "Use it in your app"; src/index.ts is
// the seed's).
import type { DurableObject } from "cloudflare:workers";
import { firstOf } from "../web/assets.js";
import { clientScripts } from "../web/scripts.js";
import type { App, PacketMaps } from "./app.js";
import type { Env } from "./env.js";
import { LimiterObject } from "./limiter-object.js";
import { lobbyObjectClass } from "./lobby-object.js";
import { registryObjectClass } from "./registry-object.js";
import { userObjectClass } from "./user-object.js";
import { createWorker, type Pages } from "./worker.js";

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
} from "./app.js";
export type { Env } from "./env.js";
export type { Io, ServerSocket, SocketSession } from "./socket.js";
export type { Pages } from "./worker.js";

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
