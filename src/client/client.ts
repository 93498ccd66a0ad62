// The sockizy client: the original client's API (packets, emit, text, json,
// send, on/once/off and its events) over the link to the server (link.ts:
// one WebSocket at a time, reconnection, heartbeat, offline queue, resume),
// and what sign-in and sign-out mean for that link. docs/client.md#behaviour
// describes the behaviour.
import { toBase64Url } from "../protocol/control.js";
import { type Merge, PacketTable, type SchemaMap } from "../protocol/index.js";
import { deliverBinary, deliverText } from "./deliver.js";
import type { Listener } from "./emitter.js";
import { Link } from "./link.js";
import { refuseEventNames, unknownPacket } from "./names.js";
import type { ClientOptions } from "./options.js";
import { type AfterSignIn, SignInRaceError, TEXT } from "./sent.js";
import type { SocketMessageEvent } from "./socket.js";
import { toText } from "./text.js";
import type { ClientEvents, Declared, EmitData, EventName, SendResult } from "./types.js";

type Opt<M> = M extends SchemaMap ? M : Record<never, never>;

/** `Send`: packets this client emits; `Receive`: packets it listens to (both from `packets()`). */
export class Client<Send = SchemaMap, Receive = SchemaMap> extends Link {
  private sendMaps: (SchemaMap | null | undefined)[] = [];
  private receiveMaps: (SchemaMap | null | undefined)[] = [];
  private sendTable = new PacketTable();
  private receiveTable = new PacketTable();
  /**
   * The sign-in packet as the server named it in a reconnect instruction,
   * when that was not `options.signIn` (the page did not say, and the
   * default "common.signIn" was not the application's). Kept until
   * connect() points the client at another server.
   */
  private learnedSignIn: string | undefined;

  constructor(url?: string, options?: ClientOptions, declared: readonly Declared[] = []) {
    super(url, options);
    for (const d of declared) this.packets(...d);
    if (this.settings.autoConnect && this.url) this.connect();
  }

  /**
   * Declares the packets, the mirror image of the server's
   * `packets(unpack, pack, shared)`. Calls add to the tables in order.
   */
  packets<const P extends SchemaMap, const U extends SchemaMap | null = null, const S extends SchemaMap | null = null>(
    pack: P | null,
    unpack?: U,
    shared?: S,
  ): Client<Merge<P, Opt<S>>, Merge<Opt<U>, Opt<S>>> {
    const sendMaps = [...this.sendMaps, pack, shared];
    const receiveMaps = [...this.receiveMaps, unpack, shared];
    // Build both before keeping either, so a bad schema changes nothing.
    const send = new PacketTable(...sendMaps);
    const receive = new PacketTable(...receiveMaps);
    refuseEventNames(send, receive);
    this.sendMaps = sendMaps;
    this.receiveMaps = receiveMaps;
    this.sendTable = send;
    this.receiveTable = receive;
    return this as never;
  }

  on<E extends EventName<Receive>>(name: E, listener: ClientEvents<Receive>[E]): this {
    this.events.on(name, listener as Listener);
    return this;
  }

  once<E extends EventName<Receive>>(name: E, listener: ClientEvents<Receive>[E]): this {
    this.events.once(name, listener as Listener);
    return this;
  }

  off<E extends EventName<Receive>>(name?: E, listener?: ClientEvents<Receive>[E]): this {
    this.events.off(name, listener as Listener | undefined);
    return this;
  }

  /**
   * Sends a packet. The sign-in packet opens a connection that carries it
   * in the upgrade (unless the open socket may be held by a user's object,
   * which then decides); the sign-out packet also forgets the resume ticket
   * and what was queued before it. Throws an EncodeError for a name that
   * is not in the send tables; data that does not encode is an `error`
   * event and "dropped".
   */
  emit<K extends keyof Send & string>(name: K, data?: EmitData<Send, K>): SendResult {
    // A name the send tables lack is a mistake in the page's code, not a
    // condition of the network: it throws at the call, whoever listens to
    // `error` (as socket.io throws for a reserved event name).
    if (!this.sendTable.has(name)) throw unknownPacket(name, this.sendTable.names);
    if (name === this.signInPacket) return this.signIn(name, data);
    let frame: Uint8Array;
    try {
      frame = this.sendTable.encode(name as never, data as never);
    } catch (e) {
      this.fail(e);
      return "dropped";
    }
    if (name === this.settings.signOut) return this.signOut(frame);
    return this.transmit(frame);
  }

  /** Sends text; other values as the original did (null and undefined as "", objects as JSON). */
  text(data: unknown): SendResult {
    return this.transmit(toText(data));
  }

  json(data: unknown): SendResult {
    return this.transmit(JSON.stringify(data));
  }

  /** Sends a raw frame: text, or bytes (which the server decodes as packets). Bytes are copied when queued. */
  send(data: string | ArrayBuffer | ArrayBufferView): SendResult {
    const frame = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data;
    return this.transmit(frame, true);
  }

  // ---------------------------------------------------------------- sign-in and sign-out

  /** The packet emit() treats as the sign-in: the server's, once it named it, else `options.signIn`. */
  get signInPacket(): string {
    return this.learnedSignIn ?? this.settings.signIn;
  }

  protected anotherServer(): void {
    this.learnedSignIn = undefined;
  }

  /**
   * The server took a frame this client sent as the sign-in and told it to
   * reconnect. Frames sent after that one on the old socket were handled
   * there, before the sign-in took effect (anonymous, or unbound in another
   * uid's object), and their replies went with the socket: they are
   * reported, never resent (the server ran them once already). A sign-in
   * the client did not recognise is learned, so the next one is carried by
   * the upgrade and what follows it waits for the signed-in socket.
   */
  protected redirected(after: AfterSignIn): void {
    const names = this.sendTable.names;
    const signIn = names[after.signInId];
    const unknown = signIn !== undefined && signIn !== this.signInPacket;
    if (unknown) this.learnedSignIn = signIn;
    const frames = after.ids.map((id) => (id === TEXT ? "text" : (names[id] ?? "binary")));
    if (frames.length === 0) return;
    // Kept short (every byte is in the served script); docs/client.md#sign-in says the rest.
    const list = frames.slice(0, 5).join(", ") + (frames.length > 5 ? ", ..." : "");
    const message =
      `${after.partial ? "at least " : ""}${frames.length} frame(s) sent after the sign-in "${signIn}" were handled ` +
      `before it took effect, on a socket then replaced (not resent): ${list}. ` +
      (unknown ? `Pass { signIn: "${signIn}" } to io().` : "Wait for the sign-in's reply.");
    const error = new SignInRaceError(message, signIn, frames, after.partial);
    // A lost frame must not go unsaid: without an error listener, the console says it.
    if (!this.events.fire("error", error)) console.warn(`sockizy: ${message}`);
  }

  /**
   * The sign-out packet. Once it is sent or queued the resume ticket is
   * forgotten; frames queued before it were for the session it ends and are
   * dropped. When it cannot be sent or queued ("dropped") nothing changes.
   */
  private signOut(frame: Uint8Array): SendResult {
    const c = this.conn;
    if (!this.ready()) {
      if (!this.wanted || !this.queue.fitsAlone(frame)) return "dropped";
      this.queue.clear();
    }
    const result = this.transmit(frame);
    if (result === "dropped") return result;
    this.credentials.clear();
    // A ticket the server sent before it saw the sign-out must not be kept.
    if (c) c.ignoreTickets = true;
    return result;
  }

  private signIn(name: string, data: unknown): SendResult {
    let frame: Uint8Array;
    try {
      // A table of its own: the shared one keeps its last frame in a scratch
      // buffer, and that must not be the password.
      frame = new PacketTable(...this.sendMaps).encode(name, data as never);
    } catch (e) {
      this.fail(e);
      return "dropped";
    }
    const c = this.ready();
    if (c?.credentialed) {
      // This socket may sit in a user's object (signed out, or over the
      // cap): the server binds it there, ignores it, or tells us to reconnect.
      c.ignoreTickets = false;
      return this.transmit(frame);
    }
    // Stopped (disconnect(), a final close, given up, or never connected):
    // as every other send, the sign-in is dropped; connect() first.
    if (!this.wanted) return "dropped";
    this.credentials.setSignIn(toBase64Url(frame));
    // What was queued was for the session this sign-in replaces.
    this.queue.clear();
    return this.handover() ? "queued" : "dropped";
  }

  // ---------------------------------------------------------------- receiving

  protected deliver(data: string | ArrayBuffer, event: SocketMessageEvent): void {
    if (typeof data === "string") {
      deliverText(this.events, data, event);
      return;
    }
    try {
      deliverBinary(this.events, this.receiveTable, data, event);
    } catch (e) {
      // A frame that does not decode (DecodeError): none of its packets was delivered.
      this.fail(e);
    }
  }
}
