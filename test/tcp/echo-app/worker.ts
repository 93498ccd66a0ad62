// What the test server gives an app (test/tcp/local-server.test.ts): `/`
// answers with its vars, the CF-Connecting-IP it saw and whether there is a
// global `navigator` (its compatibility flag takes it away), and logs a line;
// `/count` adds one to a number kept in a Durable Object's storage.
import { DurableObject } from "cloudflare:workers";

interface Env {
  GREETING: string;
  OVERRIDDEN: string;
  COUNTER: DurableObjectNamespace<Counter>;
}

export class Counter extends DurableObject<Env> {
  async next(): Promise<number> {
    const n = ((await this.ctx.storage.get<number>("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return n;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (new URL(request.url).pathname === "/count") {
      return new Response(String(await env.COUNTER.get(env.COUNTER.idFromName("one")).next()));
    }
    const ip = request.headers.get("CF-Connecting-IP");
    console.log(`echo-app saw ${ip}`);
    return Response.json({
      greeting: env.GREETING,
      overridden: env.OVERRIDDEN,
      ip,
      navigator: "navigator" in globalThis,
    });
  },
} satisfies ExportedHandler<Env>;
