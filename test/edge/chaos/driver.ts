// Performs ops on the real system inside workerd and collects what each
// client received since the last op, so the checker can compare it with the
// model. Platform ops (hibernate, evict, reset) are the same for every app.
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardOf } from "../../../src/edge/registry/shards.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import { GLOBAL_NAME, lobbyStub, shardName, userStub } from "../../../src/edge/rpc/names.js";
import { PING, PONG } from "../../../src/protocol/control.js";
import { runAudit, type TestClient } from "../helpers.js";
import type { Received } from "./expect.js";
import type { Holder, Uid } from "./model.js";
import type { Wire } from "./wire.js";

const bindings = env as unknown as Env;
const userObject = (uid: Uid) => bindings.USERS.get(bindings.USERS.idFromName(uid));
const lobbyObject = (n: number) => bindings.LOBBIES.get(bindings.LOBBIES.idFromName(`lobby-${n}`));
const registryObject = (name: string) => bindings.REGISTRY.get(bindings.REGISTRY.idFromName(name));
/** Lobbies of the apps under test (the default `lobbyShards`). */
const LOBBIES = 4;

interface Tracked {
  client: TestClient;
  /** Frames before this index were checked by an earlier op. */
  seen: number;
  /** Offered the sockizy subprotocol: it heartbeats, as the sockizy client does. */
  ctl: boolean;
  /** When it last sent a ping (ms). */
  pinged: number;
}

/**
 * How often a sockizy socket pings: well inside the 45 s `heartbeatTimeoutMs`
 * after which an audit or a full cap reaps it (docs/architecture.md#dead-holders), which
 * a run longer than that would otherwise meet.
 */
const PING_EVERY_MS = 10_000;

/**
 * Failed sign-ins one client IP may make: below the seed's 10 per (login, IP)
 * (docs/security.md#sign-in-rate-limits), so a run is never rate limited by its own bad passwords.
 */
const FAILURES_PER_IP = 8;

export class Driver {
  private readonly clients = new Map<number, Tracked>();
  /** Client IPs: sockets share one until it has made half its failures, so few limiter objects are made. */
  private ips = 0;
  private ip = "";
  private readonly ipOf = new Map<number, string>();
  private readonly failures = new Map<string, number>();
  /** Who waits for the next frame or close on any client (`changed`). */
  private waiting: (() => void)[] = [];

  constructor(
    private readonly wire: Wire,
    /** Client IPs (CF-Connecting-IP) are `${ipPrefix}.x.y`, one per socket, so sign-in limits never meet. */
    private readonly ipPrefix: string,
  ) {}

  client = (id: number): TestClient => {
    const t = this.clients.get(id);
    if (t === undefined) throw new Error(`driver: no client for socket ${id}`);
    return t.client;
  };

  async open(id: number, credentials: Parameters<Wire["open"]>[0], ctl: boolean): Promise<void> {
    if (this.ip === "" || (this.failures.get(this.ip) ?? 0) >= FAILURES_PER_IP / 2) {
      const n = ++this.ips;
      this.ip = `${this.ipPrefix}.${(n >> 8) & 255}.${n & 255}`;
    }
    this.ipOf.set(id, this.ip);
    if (credentials && "bad" in credentials) this.failed(id);
    const client = await this.wire.open(credentials, this.ip, ctl);
    // Answer a close from the server, as browsers do (RFC 6455 section 5.5.1): the test runtime's
    // client does not, and a server socket left CLOSING keeps its object from ever being evicted.
    client.ws.addEventListener("close", () => {
      try {
        client.ws.close();
      } catch {
        // Already closed.
      }
    });
    client.onChange = () => {
      for (const w of this.waiting.splice(0)) w();
    };
    this.clients.set(id, { client, seen: 0, ctl, pinged: Date.now() });
  }

  /** Resolves at the next frame or close on any client, or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Sockizy sockets that have not pinged for a while ping (the runtime answers; the answer is not checked). */
  heartbeat(): void {
    const now = Date.now();
    for (const t of this.clients.values()) {
      if (!t.ctl || t.client.closeCode !== undefined || now - t.pinged < PING_EVERY_MS) continue;
      t.pinged = now;
      try {
        t.client.send(PING);
      } catch {
        // Closing: nothing to keep alive.
      }
    }
  }

  /** Whether socket id may send refused credentials without its IP nearing the limit. */
  mayFail = (id: number): boolean => (this.failures.get(this.ipOf.get(id) ?? "") ?? 0) < FAILURES_PER_IP;

  /** Counts a refused sign-in of socket id against its IP. */
  failed(id: number): void {
    const ip = this.ipOf.get(id) ?? "";
    this.failures.set(ip, (this.failures.get(ip) ?? 0) + 1);
  }

  /** The client closes; resolves once the server answered (its close is then handled: docs/architecture.md#hibernation). */
  async close(id: number, code: number | null): Promise<number> {
    const c = this.client(id);
    if (code === null) c.ws.close();
    else c.ws.close(code, "chaos");
    return c.closed;
  }

  /** Evicts every object that may hold state; sockets stay (hibernated). */
  async hibernate(uids: Uid[], registryShards: number): Promise<void> {
    const stubs = [
      ...uids.map(userObject),
      ...Array.from({ length: LOBBIES }, (_, i) => lobbyObject(i)),
      ...[...new Set(uids.map((u) => shardOf(u, registryShards)))].map((n) => registryObject(shardName(n))),
      registryObject(GLOBAL_NAME),
    ];
    await Promise.all(stubs.map((s) => evictDurableObject(s).catch(notRunning)));
  }

  /** Evicts one object (every lobby for `lobby`), sockets kept: the other end of its relays stays in memory. */
  async evict(where: Holder): Promise<void> {
    const stubs =
      where.kind === "user" ? [userObject(where.uid)] : Array.from({ length: LOBBIES }, (_, i) => lobbyObject(i));
    await Promise.all(stubs.map((s) => evictDurableObject(s).catch(notRunning)));
  }

  /**
   * Evicts the holder's object(s) dropping their sockets without close
   * events, then runs the audit alarm; then the audits of `members`' objects,
   * whose relayed members were among those sockets (docs/sign-in.md#sign-in-by-relay:
   * either side's audit repairs a relay whose other end is gone).
   */
  async reset(where: Holder, members: Uid[] = []): Promise<void> {
    // Only a running object can be evicted: a harmless call wakes a hibernated one (its sockets stay with it).
    const targets =
      where.kind === "user"
        ? [{ stub: userObject(where.uid), wake: () => userStub(bindings, where.uid).count(where.uid) }]
        : Array.from({ length: LOBBIES }, (_, i) => ({
            stub: lobbyObject(i),
            wake: () => lobbyStub(bindings, i).stats(),
          }));
    for (const { stub, wake } of targets) {
      await wake();
      await evictDurableObject(stub, { webSockets: "close" });
      await runAudit(stub);
    }
    for (const uid of members) await runAudit(userObject(uid));
  }

  /** What each tracked client received since it was last checked. */
  received(): Map<number, Received> {
    const out = new Map<number, Received>();
    for (const [id, t] of this.clients) {
      out.set(id, {
        frames: t.client.received
          .slice(t.seen)
          .filter((f) => f !== PONG)
          .map((f) => this.wire.describe(f)),
        closeCode: t.client.closeCode,
      });
    }
    return out;
  }

  /** Marks everything received as checked; forgets clients that are closed and were checked closed. */
  advance(closedInModel: (id: number) => boolean): void {
    for (const [id, t] of this.clients) {
      t.seen = t.client.received.length;
      if (t.client.closeCode !== undefined && closedInModel(id)) this.clients.delete(id);
    }
  }

  /** Sockets bound to uid, asked of its object directly (for checkpoints; no socket needed). */
  count(uid: Uid): Promise<number> {
    return userStub(bindings, uid).count(uid);
  }

  /** Closes every client still open (for the end of a run). */
  async closeAll(): Promise<void> {
    const open = [...this.clients.values()].map((t) => t.client).filter((c) => c.closeCode === undefined);
    for (const c of open) c.close();
    await Promise.all(open.map((c) => Promise.race([c.closed, new Promise((r) => setTimeout(r, 1000))])));
    this.clients.clear();
  }
}

/** One that is not running has nothing to evict; any other refusal (one that cannot hibernate) is a failure. */
function notRunning(e: unknown): void {
  if (!String(e).includes("not currently running")) throw e;
}
