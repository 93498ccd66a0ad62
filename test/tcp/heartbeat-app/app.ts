// The seed application with a 3 s heartbeatTimeoutMs, for the quick tier's
// over-TCP dead holder (test/tcp/dead-holder.test.ts): the same bound as
// the product's 45 s, measured in seconds instead of a minute.

import { createEdge } from "../../../src/edge/index.js";
import { seedApp } from "../../../src/seed/app.js";
import { HEARTBEAT_TIMEOUT_MS } from "./timeout.js";

const edge = createEdge({ ...seedApp, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS });

export default edge.worker;
export const { UserObject, LobbyObject, RegistryObject, LimiterObject } = edge;
