// The Worker's entry: sockizy-edge runs the room; every Durable Object
// class that wrangler.toml binds is exported by name.
import { env } from "cloudflare:workers";
import { createEdge } from "sockizy-edge";
import { chatApp } from "./app.js";

// Serves /sockizy.js and /sockizy.mjs (the client with the room's packets);
// the rest of plain HTTP goes to the static files in public/.
const edge = createEdge(chatApp, { pages: (request) => env.ASSETS.fetch(request) });

export default edge.worker;
export const { UserObject, LobbyObject, RegistryObject, LimiterObject } = edge;
