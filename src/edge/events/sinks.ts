// Where session events go, chosen by the deployment's env (docs/events.md#sinks):
// a Cloudflare Queue when the producer binding SESSION_EVENTS is declared,
// else a webhook when SESSION_WEBHOOK_URL is set. Neither: no events, and
// nothing stored for them.
import type { Env } from "../rpc/env.js";
import { queueSink } from "./queue.js";
import type { Sink } from "./sink.js";
import { webhookSink } from "./webhook.js";

export type { Sink } from "./sink.js";

/** Said once per isolate, not at every wake of every user object. */
let warned = false;

/** The deployment's sink, or null; a webhook without its secret is refused (logged), never sent unsigned. */
export function sinkOf(env: Env, timeoutMs: number): Sink | null {
  if (env.SESSION_EVENTS) return queueSink(env.SESSION_EVENTS);
  const url = env.SESSION_WEBHOOK_URL;
  if (!url) return null;
  if (!env.SESSION_WEBHOOK_SECRET) {
    if (!warned)
      console.error("sockizy-edge: SESSION_WEBHOOK_URL is set without SESSION_WEBHOOK_SECRET: no session events");
    warned = true;
    return null;
  }
  return webhookSink(url, env.SESSION_WEBHOOK_SECRET, timeoutMs);
}
