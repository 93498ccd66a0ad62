// The local server tests talk to over real TCP on 127.0.0.1: the Worker of
// a wrangler.toml (the project's by default) in workerd, started through
// Miniflare in the test's process (server/miniflare-server.ts), with its
// state in a folder of its own. It stops with the test file, and by itself
// if it does not come up in time. The benchmarks start `npm start`'s server
// instead, wrangler dev (startWranglerDev): docs/testing.md#tests-that-start-a-server.
import { startMiniflareServer } from "./server/miniflare-server.js";

export type { LocalServer } from "./server/shared.js";
export { startWranglerDev } from "./server/wrangler-dev.js";

/**
 * Starts the local server: `vars` bound as `wrangler dev --var KEY:VALUE`
 * binds them, a bound on the start (ms), `config` another wrangler.toml
 * than the project's (relative to the project).
 *
 * @example
 * const server = await startLocalServer({ ADMIN_SECRET: "s" }, 60_000, "test/tcp/closes-app/wrangler.toml");
 * const ws = new WebSocket(server.url.replace("http", "ws"));
 */
export const startLocalServer = startMiniflareServer;
