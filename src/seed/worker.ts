// The Worker's entry module: the seed application on the edge server.
// wrangler.toml binds the Durable Object classes exported here.

import { createEdge } from "../edge/index.js";
import { seedApp } from "./app.js";
import { demoPage } from "./demo-page.js";

// Besides the WebSocket endpoint: /sockizy.js and /sockizy.mjs (by default),
// and the seed's demo page at /.
const edge = createEdge(seedApp, { pages: demoPage() });

export default edge.worker;
export const { UserObject, LobbyObject, RegistryObject, LimiterObject } = edge;
