/** The events-app's retry backoff (app.ts), for the test that waits on it. */
export const RETRY = { retryBaseMs: 200, retryMaxMs: 1_000 };
