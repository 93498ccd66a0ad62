// The Worker's entry module: the seed application on the edge server.
// wrangler.toml binds the three Durable Object classes exported here.
import { seedApp } from "./app/seed.js";
import { createEdge, RegistryObject } from "./edge/index.js";

const edge = createEdge(seedApp);

export default edge.worker;
export class UserObject extends edge.UserObject {}
export class LobbyObject extends edge.LobbyObject {}
export { RegistryObject };
