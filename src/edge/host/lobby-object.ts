// A lobby shard: holds anonymous sockets (no sign-in, or a sign-in that
// failed), so the seed's flow works: connect first, receive broadcasts,
// sign in later. A socket here is never bound here: a sign-in packet sent
// here gets the reconnect instruction, or is bound by relay to the uid's
// object (docs/sign-in.md#sign-in-paths).
import { encodeControl, fromBase64Url } from "../../protocol/control.js";
import { C, type LobbyStats } from "../admin/metrics.js";
import type { App, SignInOutcome, Uid } from "../app/define-app.js";
import { refuseAnonymous } from "../floods/anonymous.js";
import { UNKNOWN_IP } from "../limits/attempts.js";
import type { HolderRef, LobbyRpc, UserState } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { lobbyName } from "../rpc/names.js";
import type { EdgeSocket } from "../sockets/socket.js";
import { SocketHost } from "./socket-host.js";

export function lobbyObjectClass(app: App) {
  return class LobbyObject extends SocketHost implements LobbyRpc {
    private shard: number | null = null;

    constructor(ctx: DurableObjectState, env: Env) {
      super(ctx, env, app, "LobbyObject");
      ctx.blockConcurrencyWhile(async () => {
        this.shard = (await ctx.storage.get<number>("shard")) ?? null;
      });
    }

    /**
     * An anonymous upgrade from the Worker: `/connect?shard=N&ctl=0|1`, with
     * `outcome=bad|error&signin=<base64url>` when a sign-in in the upgrade
     * failed, or `outcome=resume-refused` for a bad resume ticket (built by
     * the Worker, never by a client).
     */
    override async fetch(request: Request): Promise<Response> {
      this.counters.request();
      // A Durable Object holds at most 32,768 hibernatable WebSockets
      // (https://developers.cloudflare.com/durable-objects/platform/limits/): refuse before that, the Worker tries another lobby.
      if (this.ctx.getWebSockets().length >= app.lobbyCapacity) return new Response("lobby full", { status: 503 });
      const url = new URL(request.url);
      if (this.shard === null) {
        this.shard = Number(url.searchParams.get("shard"));
        await this.ctx.storage.put("shard", this.shard);
      }
      // The address's anonymous sockets all come here: counted and accepted with no await between.
      const refused = refuseAnonymous(app, this.ctx, url.searchParams.get("ip") ?? UNKNOWN_IP, (ws) => this.view(ws));
      if (refused) {
        this.counters.count(C.anonymousRefused);
        return refused;
      }
      const { socket, response } = this.open(url.searchParams);
      await this.syncRegistry();
      await this.fire("connection", socket, undefined);
      const outcome = url.searchParams.get("outcome");
      if (outcome === "error") await this.reply(socket, { kind: "error" });
      if (outcome === "resume-refused") await this.counters.outcome("resume-refused");
      if (outcome === "resume-refused") socket.send(encodeControl({ t: "resume", ok: false }));
      if (outcome === "bad") {
        const frame = fromBase64Url(url.searchParams.get("signin") ?? "") as Uint8Array;
        const outcome: SignInOutcome = { kind: "bad", data: this.tables.receive.decode(frame).data };
        await this.reply(socket, outcome);
      }
      return response;
    }

    protected registryTarget(): number {
      return this.shard as number;
    }

    protected relayHolder(): HolderRef {
      return { kind: "lobby", name: lobbyName(this.shard as number) };
    }

    /** Only whether it holds any socket: lobbies churn, the global object hears of their first and last. */
    protected reported(state: UserState): boolean {
      return state.online;
    }

    protected async report(where: number, state: UserState): Promise<undefined> {
      await this.registry.setLobby(where, state.online);
      return undefined;
    }

    /** A lobby asks a registry shard picked at random, so anonymous sockets load no one object. */
    protected sizeHere(): Promise<number> {
      return this.registry.shardSize(Math.floor(Math.random() * app.registryShards));
    }

    /** For a scrape: cumulative counters (stored with its outcome writes; never handed on). */
    async stats(): Promise<LobbyStats> {
      this.counters.request();
      return { shard: this.shard ?? -1, sockets: this.live().length, counters: await this.counters.all() };
    }

    protected async signInHere(socket: EdgeSocket, uid: Uid, frame: Uint8Array): Promise<void> {
      await this.inBand.bindElsewhere(socket, uid, frame);
    }

    protected async onClosed(socket: EdgeSocket, code: number): Promise<void> {
      await this.fire("close", socket, code);
      await this.syncRegistry();
    }

    override async alarm(): Promise<void> {
      this.counters.request();
      if (this.shard !== null) await this.auditor.run();
    }
  };
}
