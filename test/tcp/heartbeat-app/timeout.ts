/** The heartbeatTimeoutMs of the quick tier's seed app (app.ts), for the test that measures it. */
export const HEARTBEAT_TIMEOUT_MS = 3_000;
