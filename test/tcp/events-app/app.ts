// The seed application with a short retry backoff for session events, for
// the over-TCP events test (test/tcp/session-events.test.ts): a receiver
// that fails for a while gets its events a second or so after it recovers,
// not minutes. The product's defaults (1 s doubling up to 5 min) are in
// docs/events.md#options.
import { createEdge } from "../../../src/edge/index.js";
import { seedApp } from "../../../src/seed/app.js";
import { RETRY } from "./retry.js";

const edge = createEdge({ ...seedApp, events: { ...seedApp.events, ...RETRY } });

export default edge.worker;
export const { UserObject, LobbyObject, RegistryObject, LimiterObject } = edge;
