/** The heartbeatTimeoutMs of the closes app (app.ts), for the test that reaps a holder with it. */
export const HEARTBEAT_TIMEOUT_MS = 3_000;
