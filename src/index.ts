// The Worker's entry module: the seed application on the edge server.
// wrangler.toml binds the Durable Object classes exported here.
import { seedApp } from "./app/seed.js";
import { createEdge } from "./edge/index.js";
import { demoPage } from "./web/index.js";

// Besides the WebSocket endpoint: /sockizy.js and /sockizy.mjs (by default),
// and the seed's demo page at /.
const edge = createEdge(seedApp, { pages: demoPage() });

export default edge.worker;
export const { UserObject, LobbyObject, RegistryObject, LimiterObject } = edge;
