// A receiver of session events for the workers tests (vitest.config.ts runs it
// beside the Worker under test): a webhook, the Worker's outbound fetches
// routed to it, recording every POST to /hook with its signature header and
// raw body and answering as it is told; and the consumer of the
// session-events Queue of the workers-queue project. Plain JavaScript:
// auxiliary workers are not bundled.
//
//   POST /hook                      recorded; answered `status` (default 200), or 500 while failing
//   GET  /received                  [{ signature, contentType, body, status }] in arrival order
//   GET  /queued                    [{ id, body, attempts, acked }] every message the consumer got
//   POST /control {fail?, status?, delayMs?, retry?, reset?}
//        fail: answer 500 to the next n hooks (-1: until told); retry: the consumer retries the next n messages
let received = [];
let queued = [];
let retrying = 0;
let failing = 0;
let status = 200;
let delayMs = 0;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/hook") {
      const body = await request.text();
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      const answer = failing !== 0 ? 500 : status;
      if (failing > 0) failing -= 1;
      received.push({
        signature: request.headers.get("Sockizy-Signature"),
        contentType: request.headers.get("Content-Type"),
        body,
        status: answer,
      });
      return new Response(null, { status: answer });
    }
    if (url.pathname === "/received") return Response.json(received);
    if (url.pathname === "/queued") return Response.json(queued);
    if (request.method === "POST" && url.pathname === "/control") {
      const c = await request.json();
      if (c.reset) {
        received = [];
        queued = [];
        retrying = 0;
        failing = 0;
        status = 200;
        delayMs = 0;
      }
      if (c.fail !== undefined) failing = c.fail;
      if (c.status !== undefined) status = c.status;
      if (c.delayMs !== undefined) delayMs = c.delayMs;
      if (c.retry !== undefined) retrying = c.retry;
      return Response.json({ ok: true });
    }
    return new Response("no such route in the test receiver", { status: 404 });
  },

  async queue(batch) {
    for (const message of batch.messages) {
      const acked = retrying === 0;
      if (!acked) retrying -= 1;
      queued.push({ id: message.id, body: message.body, attempts: message.attempts, acked });
      if (acked) message.ack();
      else message.retry({ delaySeconds: 0 });
    }
  },
};
