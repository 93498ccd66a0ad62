// Over-real-TCP helpers: plain `ws` clients talking to the local server
// (test/support/local-server.ts), whose binary frames are made by 2pack
// 1.0.0 (the original sockizy serializer), never by our codec, and the
// admin API over HTTP. Every wait here has a deadline.

import WebSocket from "ws";
import { decodeControl, PING, PONG, SUBPROTOCOL } from "../../src/protocol/control.js";
import type { Schema } from "../../src/protocol/index.js";
import { oracleEncode } from "../support/oracle.js";

// ---------------------------------------------------------------- 2pack

/** One packet as 2pack frames it: u16 LE id, then the fields. */
export function frame(id: number, schema: unknown, data: unknown): Buffer {
  return Buffer.from(oracleEncode(schema as Schema, id, data));
}

// The seed's receive table: common.signIn = 0, common.signOut = 1.
export const SIGN_IN_SCHEMA = ["login:str24", "password:str24"];
export const signInFrame = (login: string, password: string) => frame(0, SIGN_IN_SCHEMA, { login, password });
export const signOutFrame = () => frame(1, null, null);

/** base64url without padding (RFC 4648 section 5). */
export const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

// ---------------------------------------------------------------- waits

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `pred` until it holds; throws after `ms` with `describe()` in the message. */
export async function waitFor(
  pred: () => boolean | Promise<boolean>,
  ms = 3000,
  describe: () => string = () => "",
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`waitFor: timed out after ${ms} ms ${describe()}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------- clients

export interface ConnectOptions {
  /** Subprotocols to offer (none by default). */
  protocols?: string[];
  /** Query string, e.g. `?signin=...`. */
  query?: string;
}

export class Client {
  readonly texts: string[] = [];
  readonly binaries: Buffer[] = [];
  closeCode: number | undefined;
  closeReason = "";
  readonly closed: Promise<number>;
  /**
   * A client of the `sockizy` subprotocol answers a liveness probe with `#ping`, as the sockizy
   * client does by itself (docs/sign-in.md#liveness-probe); false: a client that vanished.
   */
  answersProbes = true;
  /** Probes it was sent. */
  probes = 0;
  /** `#pong`s owed to probe answers: not recorded (a sockizy client never shows the page one). */
  private probePongs = 0;

  constructor(
    readonly name: string,
    readonly ws: WebSocket,
  ) {
    ws.on("message", (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (!isBinary) {
        const text = buf.toString("utf8");
        if (text === PONG && this.probePongs > 0) this.probePongs--;
        else this.texts.push(text);
        return;
      }
      if (ws.protocol === SUBPROTOCOL && decodeControl(buf)?.t === "probe") {
        this.probes++;
        if (this.answersProbes && ws.readyState === WebSocket.OPEN) {
          this.probePongs++;
          ws.send(PING);
        }
      }
      this.binaries.push(buf);
    });
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve(code);
      });
    });
    ws.on("error", () => {}); // surfaces as a close (1006)
  }

  /** The subprotocol the server selected ("" for none). */
  get protocol(): string {
    return this.ws.protocol;
  }

  /** Waits until `pred` holds over this client, at most `ms`. */
  until(pred: (c: Client) => boolean, ms = 3000): Promise<void> {
    return waitFor(
      () => pred(this),
      ms,
      () =>
        `on ${this.name}; texts ${JSON.stringify(this.texts)}, binaries ${this.binaries.length}, close ${this.closeCode}` +
        (this.closeCode === 1006 ? " (dropped: the connection ended without a close frame)" : ""),
    );
  }

  /** Waits until `text` has arrived `times` times in all. */
  waitText(text: string, times = 1, ms?: number): Promise<void> {
    return this.until((c) => c.texts.filter((t) => t === text).length >= times, ms);
  }

  /** Waits for the socket to close; resolves to the code. */
  async waitClose(ms = 3000): Promise<number> {
    await this.until((c) => c.closeCode !== undefined, ms);
    return this.closeCode as number;
  }

  send(data: Buffer | string): void {
    this.ws.send(data);
  }

  /** Closes with 1000 and waits (bounded) for the server's answer; a socket left hanging is destroyed. */
  async close(): Promise<void> {
    if (this.closeCode !== undefined) return;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, "bye");
    const done = await Promise.race([this.closed.then(() => true), sleep(2000).then(() => false)]);
    if (!done) {
      this.ws.terminate();
      await Promise.race([this.closed, sleep(500)]);
    }
  }
}

/** Opens a WebSocket to `base` (ws://127.0.0.1:<port>), within `ms`; rejects with the HTTP status if refused. */
export function connect(base: string, name: string, opts: ConnectOptions = {}, ms = 5000): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/${opts.query ?? ""}`, opts.protocols ?? []);
    const client = new Client(name, ws);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${name}: no open within ${ms} ms`));
    }, ms);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve(client);
    });
    let refused = false;
    ws.once("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      refused = true;
      let body = "";
      res.on("data", (d: Buffer) => (body += d));
      res.on("end", () => {
        reject(new UpgradeRefused(name, res.statusCode ?? 0, body));
        ws.terminate();
      });
    });
    ws.once("error", (e) => {
      clearTimeout(timer);
      if (!refused) reject(e);
    });
  });
}

export class UpgradeRefused extends Error {
  constructor(
    name: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${name}: upgrade refused with ${status}: ${body.trim()}`);
  }
}

// ---------------------------------------------------------------- admin

export async function adminGet(
  httpBase: string,
  path: string,
  secret: string,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${httpBase}${path}`, {
    headers: { Authorization: `Bearer ${secret}` },
    signal: AbortSignal.timeout(3000),
  });
  return { status: res.status, body: await res.json() };
}
