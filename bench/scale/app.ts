// The open-sign-in bench application of `npm run bench:scale`: any login
// is its own uid, every user its own object. Only what the workload needs:
// a sign-in reply with `size`, no broadcast on sign-in. Sign-in rate limits
// are off (the minimal design it is compared with has none, and the bench
// signs in thousands of users from one address); their cost is their own.
// `--var FAN_OUT_BATCH:50 --var REGISTRY_SHARDS:8` (bench:scale's split run)
// sets those options, read from the env at module scope, where defineApp runs.

import { env } from "cloudflare:workers";
import { createEdge, defineApp } from "../../src/edge/index.js";
import type { UserState } from "../../src/edge/rpc/contracts.js";
import type { Env } from "../../src/edge/rpc/env.js";
import { globalStub, shardStub } from "../../src/edge/rpc/names.js";

const vars = env as unknown as { FAN_OUT_BATCH?: string; REGISTRY_SHARDS?: string };
const option = (value: string | undefined) => (value === undefined ? undefined : Number(value));

export const benchApp = defineApp({
  packets: { unpack: { "bench.signIn": ["login:str32"] } },
  signIn: {
    packet: "bench.signIn",
    authenticate: ({ login }) => login || null,
    reply(socket, outcome) {
      socket.text(outcome.kind === "ok" ? `ok ${outcome.size}` : `refused ${outcome.kind}`);
    },
  },
  limits: false,
  fanOutBatch: option(vars.FAN_OUT_BATCH),
  registryShards: option(vars.REGISTRY_SHARDS),
});

const edge = createEdge(benchApp, { scripts: false });
export const { UserObject, LobbyObject, RegistryObject, LimiterObject } = edge;

// Registry requests made one after another, so the bench can read the CPU
// time of one (the caller's and the callee's side together, an upper bound
// on the callee's): `/bench/shard?n=` changes a row of shard 0 without
// changing its users (no push); `/bench/global?n=` pushes the counts of a
// shard number no uid hashes to (size unchanged); `/bench/scan/fill?n=` puts
// n users online without a session in a shard no uid hashes to, `/bench/scan?n=`
// has it answer `io.session.emit()` n times (each reads every row and calls
// no one: the table read a shard's part of a broadcast makes per user), and
// `/bench/scan/empty?n=` takes them out again.
const SCAN_SHARD = 1_000_001;
const OFF: UserState = { session: false, online: false, bound: 0, sockets: 0 };
const bound = (n: number): UserState => ({ session: true, online: true, bound: n, sockets: n });

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? "1000");
    if (url.pathname === "/bench/shard") {
      const shard = shardStub(env, 0);
      for (let i = 0; i < n; i++) await shard.setUser(0, "bench-probe", bound(1 + (i % 2)));
      await shard.setUser(0, "bench-probe", OFF);
      return new Response(`${n} shard requests\n`);
    }
    if (url.pathname === "/bench/global") {
      const global = globalStub(env);
      for (let i = 0; i < n; i++) await global.push({ level: 0, index: 1_000_000 }, { users: 0, online: 0 });
      return new Response(`${n} global requests\n`);
    }
    if (url.pathname.startsWith("/bench/scan")) {
      const shard = shardStub(env, SCAN_SHARD);
      const fill = url.pathname === "/bench/scan/fill";
      if (fill || url.pathname === "/bench/scan/empty") {
        const state = fill ? { session: false, online: true, bound: 0, sockets: 1 } : OFF;
        for (let i = 0; i < n; i++) await shard.setUser(SCAN_SHARD, `scan-${i}`, state);
      } else {
        for (let k = 0; k < n; k++) await shard.shardSessionEmit(SCAN_SHARD, "scan");
      }
      return new Response("done\n");
    }
    return (edge.worker.fetch as NonNullable<ExportedHandler<Env>["fetch"]>)(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
