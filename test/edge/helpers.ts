// Drives the Worker from inside workerd: WebSocket clients with a message
// queue, and the seed's frames made with our codec (the over-TCP test makes
// them with 2pack instead).
import { runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { AlarmShare } from "../../src/edge/events/alarm-share.js";
import { Outbox } from "../../src/edge/events/outbox.js";
import type { Env } from "../../src/edge/rpc/env.js";
import { decodeControl, PING, PONG, SUBPROTOCOL, toBase64Url } from "../../src/protocol/control.js";
import { serverPackets } from "../../src/protocol/index.js";

export const seedTables = serverPackets({
  "common.signIn": ["login:str24", "password:str24"],
  "common.signOut": null,
} as const);

export const signInFrame = (login: string, password: string) =>
  seedTables.receive.encode("common.signIn", { login, password });
export const signOutFrame = () => seedTables.receive.encode("common.signOut", null);

export type Received = string | Uint8Array;

export class TestClient {
  readonly received: Received[] = [];
  private waiters: (() => void)[] = [];
  /** Called after each frame is recorded and at the close (the chaos driver waits on every client's). */
  onChange: (() => void) | undefined;
  closeCode: number | undefined;
  closeReason: string | undefined;
  readonly closed: Promise<number>;
  /**
   * Answers a liveness probe with `#ping`, as a sockizy client does (docs/sign-in.md#liveness-probe);
   * set false for a client that vanished. Default: it speaks the `sockizy` subprotocol.
   */
  answersProbes: boolean;
  /** `#pong`s owed to probe answers: not recorded (a sockizy client never shows the page one). */
  private probePongs = 0;

  constructor(
    readonly ws: WebSocket,
    readonly protocol: string | null,
    /**
     * Half-open: a close frame from the server is not answered. Since
     * web_socket_auto_reply_to_close (compatibility date 2026-04-07) this
     * runtime's WebSockets answer it at once, as browsers do; half-open keeps
     * a server close's event pending, for tests of that window.
     */
    accept: WebSocketAcceptOptions = {},
  ) {
    ws.accept(accept);
    this.answersProbes = protocol === SUBPROTOCOL;
    // Binary messages may arrive as Blobs here; a chain keeps them in order with texts.
    let chain = Promise.resolve();
    ws.addEventListener("message", (e) => {
      const data = e.data as string | ArrayBuffer | Blob;
      chain = chain.then(async () => {
        if (typeof data === "string") {
          if (data === PONG && this.probePongs > 0) {
            this.probePongs--;
            return;
          }
          this.received.push(data);
        } else {
          const bytes = new Uint8Array(data instanceof Blob ? await data.arrayBuffer() : data);
          if (this.answersProbes && decodeControl(bytes)?.t === "probe") {
            this.probePongs++;
            try {
              this.ws.send(PING);
            } catch {
              // closing: nothing to answer
            }
          }
          this.received.push(bytes);
        }
        this.wake();
      });
    });
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (e) => {
        this.closeCode = e.code;
        this.closeReason = e.reason;
        this.wake();
        resolve(e.code);
      });
    });
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
    this.onChange?.();
  }

  /** Texts received so far. */
  get texts(): string[] {
    return this.received.filter((m): m is string => typeof m === "string");
  }

  /** Waits until `pred` holds over what was received (or the socket closed), at most `ms`. */
  async until(pred: (c: TestClient) => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this)) {
      if (Date.now() > deadline) throw new Error(`timed out; received: ${JSON.stringify(this.texts)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }

  /** Waits for a text equal to `text`. */
  waitText(text: string, ms?: number) {
    return this.until((c) => c.texts.includes(text), ms);
  }

  send(frame: string | Uint8Array) {
    this.ws.send(frame);
  }

  close(code = 1000) {
    this.ws.close(code, "bye");
  }
}

export interface ConnectOptions {
  signIn?: [string, string];
  /** Offer the sockizy subprotocol (a sockizy-edge client does); default true. */
  ctl?: boolean;
  /** Carry the sign-in in the query instead of a subprotocol. */
  viaQuery?: boolean;
  raw?: string;
  /** Offer a resume ticket (`sockizy-resume.<ticket>`). */
  ticket?: string;
  /** The client's address, as Cloudflare sets it (`CF-Connecting-IP`): sign-in limits count per IP. */
  ip?: string;
  /** `?hb=`: the ping interval a sockizy client says it keeps, when not the default. */
  hb?: string;
}

/** Every client `connect` opened, for `closeOpenClients`. */
const opened: TestClient[] = [];

/** Opens a WebSocket through the Worker, as a browser would. */
export async function connect(opts: ConnectOptions = {}): Promise<TestClient> {
  const res = await upgrade(opts);
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  const client = new TestClient(res.webSocket, res.headers.get("Sec-WebSocket-Protocol"));
  opened.push(client);
  return client;
}

/** For afterEach: closes what the test opened and waits until the registry counts no session. */
export function closeOpenClients(): Promise<void> {
  return closeAll(opened.splice(0));
}

/** Waits until the registry counts `size` sessions. */
export async function waitSize(size: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const got = (await adminGet("/admin/size")) as { size: number };
    if (got.size === size) return;
    if (Date.now() > deadline) throw new Error(`size stayed ${got.size}, expected ${size}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function upgrade(opts: ConnectOptions = {}): Promise<Response> {
  const ctl = opts.ctl ?? true;
  const encoded = opts.raw ?? (opts.signIn ? toBase64Url(signInFrame(...opts.signIn)) : undefined);
  const protocols: string[] = [];
  if (ctl) protocols.push("sockizy");
  if (encoded !== undefined && !opts.viaQuery) protocols.push(`sockizy.${encoded}`);
  if (opts.ticket !== undefined) protocols.push(`sockizy-resume.${opts.ticket}`);
  const url = new URL("http://edge.test/");
  if (encoded !== undefined && opts.viaQuery) url.searchParams.set("signin", encoded);
  if (opts.hb !== undefined) url.searchParams.set("hb", opts.hb);
  const headers: Record<string, string> = { Upgrade: "websocket" };
  if (protocols.length) headers["Sec-WebSocket-Protocol"] = protocols.join(", ");
  if (opts.ip !== undefined) headers["CF-Connecting-IP"] = opts.ip;
  return SELF.fetch(url, { headers });
}

export const ADMIN_SECRET = "test-admin-secret";

/** The user object of uid (its stub), for evictions, alarms and looking inside it. */
export const userObject = (uid: string) => {
  const { USERS } = env as unknown as Env;
  return USERS.get(USERS.idFromName(uid));
};

/**
 * The user object's session-event outbox, read through the product's own Outbox, or null where
 * none was ever made (a lobby, a registry object, a user with no event yet): Outbox.state() would
 * make its tables.
 */
export function outboxOf(state: DurableObjectState): Outbox | null {
  const made = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'session_outbox_state'").toArray();
  return made.length > 0 ? new Outbox(state.storage.sql) : null;
}

/**
 * Whether the object's next wake is the outbox's (an event's delivery or a grace's end due): such
 * a wake delivers and keeps the audit for later (AlarmShare.auditDue decides, as in the object).
 */
function outboxWakeDue(stub: DurableObjectStub): Promise<boolean> {
  return runInDurableObject(stub, (_instance, state) => {
    const outbox = outboxOf(state);
    return outbox !== null && !new AlarmShare(state.storage, outbox).auditDue();
  });
}

/**
 * Runs the object's alarm as its audit: when the next wake is the outbox's (a delivery due right
 * after a sign-in, which the runtime runs by itself within milliseconds), that wake is run first,
 * as the runtime would have. Resolves to whether the last run found an alarm (runDurableObjectAlarm).
 */
export async function runAudit(stub: DurableObjectStub): Promise<boolean> {
  for (let i = 0; i < 3 && (await outboxWakeDue(stub)); i++) await runDurableObjectAlarm(stub);
  return runDurableObjectAlarm(stub);
}

export async function adminGet(path: string): Promise<unknown> {
  const res = await SELF.fetch(`http://edge.test${path}`, { headers: { Authorization: `Bearer ${ADMIN_SECRET}` } });
  return res.json();
}

export async function adminPost(path: string, body: unknown, secret = ADMIN_SECRET): Promise<Response> {
  return SELF.fetch(`http://edge.test${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function closeAll(clients: TestClient[]): Promise<void> {
  for (const c of clients) if (c.closeCode === undefined) c.close();
  await Promise.all(clients.map((c) => Promise.race([c.closed, new Promise((r) => setTimeout(r, 500))])));
  await waitSize(0);
}
