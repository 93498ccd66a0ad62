// A sign-in packet sent as an ordinary frame (docs/sign-in.md): rate
// limited, authenticated where the socket is held, then bound here, or
// elsewhere when the socket cannot be bound where it is.
import { encodeControl, toBase64Url } from "../../protocol/control.js";
import type { App, SignInOutcome, Uid } from "../app/define-app.js";
import { admit, signInKey, socketAttempt, UNKNOWN_IP } from "../limits/attempts.js";
import type { Relay } from "../relay/holder.js";
import type { Env } from "../rpc/env.js";
import type { EdgeSocket } from "../sockets/socket.js";

/** What an in-band sign-in needs from the object holding the socket. */
export interface SignInHost {
  view(ws: WebSocket): EdgeSocket;
  reply(socket: EdgeSocket, outcome: SignInOutcome): Promise<void>;
  /** An authenticated sign-in for a socket held here. */
  signInHere(socket: EdgeSocket, uid: Uid, frame: Uint8Array): Promise<void>;
}

export class InBandSignIn {
  /** Sockets whose sign-in is under way (authenticate, then the seat). In memory is enough: an object does not hibernate mid-await. */
  private readonly signingIn = new Set<string>();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly app: App,
    private readonly relay: Relay,
    private readonly host: SignInHost,
  ) {}

  async handle(socket: EdgeSocket, data: unknown, frame: Uint8Array): Promise<void> {
    // The seed ignores a sign-in on a socket that is signed in or still signing in.
    if (socket.attachment.uid !== null || this.signingIn.has(socket.id)) return;
    // Rate limits (docs/security.md#sign-in-rate-limits): this socket's pace, then the
    // counters of failed sign-ins; when limited, authenticate is not called.
    const wait = socketAttempt(this.app, socket.ws);
    if (wait > 0) {
      await this.host.reply(socket, { kind: "limited", retryAfter: wait });
      return;
    }
    // Signing in until the seat is decided, which may wait for a liveness probe (docs/sign-in.md#liveness-probe).
    this.signingIn.add(socket.id);
    try {
      await this.signIn(socket, data, frame);
    } finally {
      this.signingIn.delete(socket.id);
    }
  }

  private async signIn(socket: EdgeSocket, data: unknown, frame: Uint8Array): Promise<void> {
    const ip = socket.attachment.ip ?? UNKNOWN_IP;
    const gate = await admit(this.app, this.env, ip, signInKey(this.app, data));
    if (gate.limited) {
      if (socket.ws.readyState === WebSocket.READY_STATE_OPEN) {
        await this.host.reply(socket, { kind: "limited", retryAfter: gate.retryAfter });
      }
      return;
    }
    let uid: Uid | null;
    try {
      uid = await this.app.signIn.authenticate(data as never, this.env);
    } catch (e) {
      console.error("sockizy-edge: authenticate failed:", e);
      this.ctx.waitUntil(gate.settle("dropped"));
      await this.host.reply(socket, { kind: "error" });
      return;
    }
    this.ctx.waitUntil(gate.settle(uid === null ? "failed" : "ok"));
    if (socket.ws.readyState !== WebSocket.READY_STATE_OPEN) return;
    if (uid === null) await this.host.reply(socket, { kind: "bad", data });
    else await this.host.signInHere(this.host.view(socket.ws), uid, frame);
  }

  /**
   * The socket cannot be bound where it is held. A client that speaks the
   * sockizy subprotocol is told to reconnect with the sign-in in the
   * upgrade (cheaper: its frames then never cross objects); any other
   * client is bound by relay to the uid's object, which replies to it.
   */
  async bindElsewhere(socket: EdgeSocket, uid: Uid, frame: Uint8Array): Promise<void> {
    if (socket.attachment.ctl) {
      socket.send(encodeControl({ t: "reconnect", signin: toBase64Url(frame) }));
      return;
    }
    const refused = await this.relay.admit(socket, uid);
    if (refused !== null && socket.ws.readyState === WebSocket.READY_STATE_OPEN) await this.host.reply(socket, refused);
  }
}
