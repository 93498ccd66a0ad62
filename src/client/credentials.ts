// What the client needs to come back signed in, and for how long it keeps it.
//
// - The sign-in (base64url of the sign-in frame, password included) is kept
//   only until a connection that carries it in its upgrade opens: that is
//   the only moment it is needed. A failed upgrade is retried with it once;
//   after the second failure it is dropped (the server refuses it, e.g. an
//   HTTP 400, and retrying would keep the password in memory for ever). The
//   client drops it too whenever it stops (disconnect(), giving up, a "do
//   not come back" close). It is never written anywhere.
// - The resume ticket (from the server's {"t":"ticket"} control frame) is
//   kept until it is refused, replaced, the page signs out, the server says
//   the socket was unbound, the client is pointed at another server, or the
//   server closes with a "do not come back" code. A pending sign-in goes
//   first; the ticket is dropped when the sign-in's connection opens (that
//   connection is the new session, whatever the server made of it). It is
//   short-lived, signed by the server and bound to the uid: not a password.
import { RESUME_PREFIX, SIGNIN_PREFIX, SUBPROTOCOL } from "../protocol/control.js";

/** What a connection's upgrade carried. */
export type Carried = "signin" | "resume" | null;

/** Failed upgrades carrying one sign-in before it is dropped. */
export const SIGNIN_TRIES = 2;

export class Credentials {
  private signIn: string | null = null;
  private ticket: string | null = null;
  private failures = 0;

  /** A sign-in to carry in the next upgrades (the latest sign-in wins). */
  setSignIn(encoded: string): void {
    this.signIn = encoded;
    this.failures = 0;
  }

  setTicket(ticket: string): void {
    this.ticket = ticket;
  }

  /** Forgets everything (sign-out, kick, replaced, another server). */
  clear(): void {
    this.dropSignIn();
    this.ticket = null;
  }

  dropTicket(): void {
    this.ticket = null;
  }

  dropSignIn(): void {
    this.signIn = null;
    this.failures = 0;
  }

  /** The connection that carried the sign-in opened: it is the session now, the sign-in and any older ticket go. */
  signedIn(): void {
    this.clear();
  }

  /**
   * A connection carrying the sign-in closed before it opened. True when
   * that was the last try: the sign-in is dropped.
   */
  signInFailed(): boolean {
    if (this.signIn === null) return false;
    if (++this.failures < SIGNIN_TRIES) return false;
    this.dropSignIn();
    return true;
  }

  get hasTicket(): boolean {
    return this.ticket !== null;
  }

  get hasSignIn(): boolean {
    return this.signIn !== null;
  }

  /** Subprotocols for the next upgrade: a pending sign-in first, else the ticket, else none. */
  next(): { protocols: string[]; carried: Carried } {
    if (this.signIn !== null) return { protocols: [SUBPROTOCOL, SIGNIN_PREFIX + this.signIn], carried: "signin" };
    if (this.ticket !== null) return { protocols: [SUBPROTOCOL, RESUME_PREFIX + this.ticket], carried: "resume" };
    return { protocols: [SUBPROTOCOL], carried: null };
  }
}
