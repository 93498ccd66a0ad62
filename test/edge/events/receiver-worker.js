// A webhook receiver for the workers tests (vitest.config.ts runs it beside
// the Worker under test and routes the Worker's outbound fetches to it): it
// records every POST to /hook with its signature header and raw body, and
// answers as it is told. Plain JavaScript: auxiliary workers are not bundled.
//
//   POST /hook                      recorded; answered `status` (default 200), or 500 while failing
//   GET  /received                  [{ signature, contentType, body, status }] in arrival order
//   POST /control {fail?, status?, delayMs?, reset?}   fail: answer 500 to the next n (-1: until told)
let received = [];
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
    if (request.method === "POST" && url.pathname === "/control") {
      const c = await request.json();
      if (c.reset) {
        received = [];
        failing = 0;
        status = 200;
        delayMs = 0;
      }
      if (c.fail !== undefined) failing = c.fail;
      if (c.status !== undefined) status = c.status;
      if (c.delayMs !== undefined) delayMs = c.delayMs;
      return Response.json({ ok: true });
    }
    return new Response("no such route in the test receiver", { status: 404 });
  },
};
