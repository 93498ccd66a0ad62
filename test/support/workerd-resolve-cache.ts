// A setup file of every workerd project (vitest.config.ts):
// remembers the module runner's answers to "resolve this module id" for the rest of the run.
//
// Why: @cloudflare/vitest-plugin reaches the application's Worker and objects through wrappers
// that import the Worker's main module again on every call (every Durable Object fetch, RPC
// call, WebSocket event and SELF.fetch), and vitest's module runner asks the pool in Node to
// resolve the id on every import, uncached: a round trip over the runtime's WebSocket to the
// vitest process, where it runs Vite's resolve plugins. A seed run made about 15,000 of them, and
// they were a third of the vitest process's CPU (compressing and serialising them, resolving).
// Within one `vitest run` no file changes, so the first answer for an id holds.
//
// With calls this much faster, a test that runs a user object's alarm by hand right after a
// sign-in can find the alarm the outbox set for an event's delivery still due (the runtime runs
// it by itself a few milliseconds later): that wake is the outbox's and keeps the audit for later
// (src/edge/events/alarm-share.ts). Tests that mean the audit run it with runAudit
// (test/edge/helpers.ts), which runs such a wake first.
//
// It reaches into vitest's module runner (`vitestOptions.transport`, not a public API): when that
// is not there, it changes nothing and each import asks again, as before.

interface Transport {
  resolveId(id: string, importer?: string): Promise<unknown>;
  sockizyResolveCache?: true;
}

const runner = (globalThis as { __vitest_mocker__?: { moduleRunner?: { vitestOptions?: { transport?: Transport } } } })
  .__vitest_mocker__?.moduleRunner;
const transport = runner?.vitestOptions?.transport;

if (transport && typeof transport.resolveId === "function" && !transport.sockizyResolveCache) {
  const resolve = transport.resolveId.bind(transport);
  // The answers, not the promises: a promise made in one request's context and awaited in
  // another's may never settle there (the runner adds no_handle_cross_request_promise_resolution),
  // so a first call that is still on its way is not shared.
  const answers = new Map<string, unknown>();
  transport.resolveId = async (id, importer) => {
    const key = `${id}\0${importer ?? ""}`;
    if (answers.has(key)) return answers.get(key);
    const answer = await resolve(id, importer);
    answers.set(key, answer);
    return answer;
  };
  transport.sockizyResolveCache = true;
}
