// The seed app on the local server (test/support/local-server.ts) for one test file, with what the seed
// scenarios ask of it over HTTP: the registry's size and a uid's count.
// Registers the file's hooks: the server starts before its tests, every
// client a test opened is closed after it (and size is back to 0), and the
// server stops after the file.
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type LocalServer, startLocalServer } from "../support/local-server.js";
import { adminGet, type Client, type ConnectOptions, connect, waitFor } from "./helpers.js";

export interface SeedServer {
  readonly http: string;
  readonly ws: string;
  readonly secret: string;
  /** A client closed after the test. */
  client(name: string, opts?: ConnectOptions): Promise<Client>;
  /** Adds a client opened some other way, so it is closed after the test. */
  track(c: Client): void;
  size(): Promise<number>;
  count(uid: number): Promise<unknown>;
  /** Waits until the admin API reports `n` users holding sessions. */
  waitSize(n: number, ms?: number, hint?: string): Promise<void>;
}

/** Another app than the seed (a wrangler.toml), and more vars, read when the server starts. */
export interface SeedServerOptions {
  config?: string;
  vars?: () => Record<string, string>;
}

export function useSeedServer(secret: string, options: SeedServerOptions = {}): SeedServer {
  let server: LocalServer | undefined;
  const open: Client[] = [];
  const s: SeedServer = {
    http: "",
    ws: "",
    secret,
    async client(name, opts = {}) {
      const c = await connect(s.ws, name, opts);
      open.push(c);
      return c;
    },
    track: (c) => void open.push(c),
    async size() {
      const { status, body } = await adminGet(s.http, "/admin/size", secret);
      expect(status).toBe(200);
      return (body as { size: number }).size;
    },
    async count(uid) {
      return (await adminGet(s.http, `/admin/count?uid=${uid}`, secret)).body;
    },
    async waitSize(n, ms = 3000, hint = "") {
      let last: number | undefined;
      await waitFor(
        async () => {
          last = await s.size();
          return last === n;
        },
        ms,
        () => `: size stayed ${last}, expected ${n}${hint}`,
      );
    },
  };

  beforeAll(async () => {
    server = await startLocalServer({ ADMIN_SECRET: secret, ...options.vars?.() }, 60_000, options.config);
    Object.assign(s, { http: server.url, ws: server.url.replace(/^http:/, "ws:") });
    // A server stopped with sockets open leaves their uids counted until each user object's
    // audit alarm (auditMs, 60 s) runs. Normally size is 0 at once.
    await s.waitSize(0, 70_000, " (sessions left by a server stopped with sockets open?)");
  }, 90_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await s.waitSize(0);
  }, 15_000);

  afterAll(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await server?.stop();
  }, 20_000);

  return s;
}
