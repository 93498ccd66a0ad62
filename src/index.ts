// The Worker's entry module: the seed application on the edge server.
// wrangler.toml binds the three Durable Object classes exported here.
import { seedApp } from "./app/seed.js";
import { createEdge } from "./edge/index.js";
import { clientPages } from "./web/index.js";

// Besides the WebSocket endpoint: /sockizy.js, /sockizy.mjs and the demo page at /.
const edge = createEdge(seedApp, clientPages(seedApp));

export default edge.worker;
export const { UserObject, LobbyObject, RegistryObject } = edge;
