// Helpers for the client tests: the seed's packets, a fake WebSocket for
// tests that drive time by hand, a scripted `ws` server on 127.0.0.1, event
// recording, 2pack framing (the original serializer, as an independent
// encoder) and bounded waits.

import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { type Client, type ClientOptions, io } from "../../src/client/index.js";
import type { SocketCloseEvent, SocketLike, SocketMessageEvent, WebSocketClass } from "../../src/client/socket.js";
import type { Schema } from "../../src/protocol/index.js";
import { oracleEncode } from "../support/oracle.js";

/** The seed's packets as its client declares them (client -> server only). */
export const SEED = {
  "common.signIn": ["login:str24", "password:str24"],
  "common.signOut": null,
} as const;

/** A Node client of the seed over `ws`. */
export function seedClient(url: string, options: ClientOptions = {}) {
  return io(url, { WebSocket: WebSocket as unknown as WebSocketClass, ...options }).packets(SEED);
}

// ---------------------------------------------------------------- waits

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `pred` until it holds; throws after `ms` with `describe()` in the message. */
export async function waitFor(pred: () => boolean, ms = 5000, describe: () => string = () => ""): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms ${describe()}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------- events

const EVENTS = [
  "open",
  "close",
  "disconnected",
  "terminated",
  "restoring",
  "restored",
  "unrestored",
  "text",
  "json",
  "error",
] as const;

/** Every built-in event of a client, in order, as [name, ...args] (events and errors reduced to short forms). */
export class Recorder {
  readonly log: unknown[][] = [];

  // biome-ignore lint/suspicious/noExplicitAny: records clients of any packet tables
  constructor(readonly client: Client<any, any>) {
    for (const name of EVENTS) {
      client.on(name, (...args: unknown[]) => {
        this.log.push([name, ...args.filter((a) => typeof a !== "object" || a === null || a instanceof Error)]);
      });
    }
  }

  get texts(): string[] {
    return this.log.filter((e) => e[0] === "text").map((e) => e[1] as string);
  }

  names(): string[] {
    return this.log.map((e) => e[0] as string);
  }

  count(name: string): number {
    return this.log.filter((e) => e[0] === name).length;
  }

  waitText(text: string, ms = 5000): Promise<void> {
    return waitFor(
      () => this.texts.includes(text),
      ms,
      () => `for "${text}"; events ${JSON.stringify(this.log)}`,
    );
  }

  waitEvent(name: string, times = 1, ms = 5000): Promise<void> {
    return waitFor(
      () => this.count(name) >= times,
      ms,
      () => `for ${times} "${name}"; events ${JSON.stringify(this.log)}`,
    );
  }
}

// ---------------------------------------------------------------- 2pack

/** One packet as the original server framed it, made by 2pack: u16 LE id, then the fields. */
export function frame2pack(id: number, schema: unknown, data: unknown): Uint8Array {
  return oracleEncode(schema as Schema, id, data);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A control frame: 0xFF 0xFF then the JSON (docs/protocol.md#wire-additions). */
export function control(c: unknown): Uint8Array {
  return concat(new Uint8Array([0xff, 0xff]), new TextEncoder().encode(JSON.stringify(c)));
}

// ---------------------------------------------------------------- fake WebSocket

/** A WebSocket the test drives by hand: accept(), receive(), drop(); what the client sends is in `sent`. */
export class FakeSocket implements SocketLike {
  readyState = 0;
  bufferedAmount = 0;
  binaryType = "blob";
  readonly sent: (string | Uint8Array)[] = [];
  closedWith: { code?: number; reason?: string } | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: SocketMessageEvent) => void) | null = null;
  onclose: ((event: SocketCloseEvent) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== 1) throw new Error("FakeSocket: send while not open");
    this.sent.push(
      typeof data === "string"
        ? data
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
          : new Uint8Array(data).slice(),
    );
  }

  close(code?: number, reason?: string): void {
    // As browsers: only 1000 and 3000-4999 may be sent.
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new Error("InvalidAccessError");
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.closedWith = { code, reason };
  }

  // The server's side.
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(data: string | Uint8Array): void {
    this.onmessage?.({ data: typeof data === "string" ? data : data.slice().buffer });
  }

  drop(code = 1006, reason = "", wasClean = false): void {
    this.readyState = 3;
    this.onclose?.({ code, reason, wasClean });
  }

  get texts(): string[] {
    return this.sent.filter((s): s is string => typeof s === "string");
  }
}

/** A FakeSocket class whose instances are listed in order of creation. */
export function fakeSockets(): { WebSocket: WebSocketClass; sockets: FakeSocket[]; last(): FakeSocket } {
  const sockets: FakeSocket[] = [];
  const WebSocketClass = class extends FakeSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, typeof protocols === "string" ? [protocols] : (protocols ?? []));
      sockets.push(this);
    }
  };
  return {
    WebSocket: WebSocketClass,
    sockets,
    last() {
      const s = sockets.at(-1);
      if (!s) throw new Error("no socket yet");
      return s;
    },
  };
}

// ---------------------------------------------------------------- scripted server

export interface ServerSocket {
  readonly ws: WebSocket;
  /** Subprotocols the client offered. */
  readonly offered: string[];
  readonly received: (string | Uint8Array)[];
}

const offeredBy = (request: { headers: Record<string, string | string[] | undefined> }): string[] =>
  String(request.headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);

/**
 * A `ws` server on 127.0.0.1 that selects "sockizy" like the edge server and lets the test script the rest.
 * `refuse` answers an upgrade (given the subprotocols offered) with an HTTP error instead: 503, or `refuseStatus`.
 */
export async function scriptedServer(
  onConnection: (socket: ServerSocket) => void = () => {},
  options: { refuse?: (offered: string[]) => boolean; refuseStatus?: number } = {},
) {
  const sockets: ServerSocket[] = [];
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    handleProtocols: (offered) => (offered.has("sockizy") ? "sockizy" : false),
    verifyClient: (info, cb) =>
      options.refuse?.(offeredBy(info.req)) ? cb(false, options.refuseStatus ?? 503) : cb(true),
  });
  wss.on("connection", (ws, request) => {
    const offered = offeredBy(request);
    const socket: ServerSocket = { ws, offered, received: [] };
    ws.on("message", (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      socket.received.push(isBinary ? new Uint8Array(buf) : buf.toString("utf8"));
    });
    ws.on("error", () => {});
    sockets.push(socket);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    sockets,
    last(): ServerSocket {
      const s = sockets.at(-1);
      if (!s) throw new Error("no connection yet");
      return s;
    },
    /** Cuts every connection with no close handshake (what a crash or a deploy looks like to a client). */
    dropAll(): void {
      for (const s of sockets) s.ws.terminate();
    },
    close(): Promise<void> {
      for (const s of sockets) s.ws.terminate();
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}
