// What the client needs to come back signed in, and for how long it keeps it.
//
// - The sign-in (base64url of the sign-in frame, password included) is kept
//   only until a connection that carries it in its upgrade opens: that is
//   the only moment it is needed, and a retry of a failed upgrade needs it
//   again. It is never written anywhere.
// - The resume ticket (from the server's {"t":"ticket"} control frame) is
//   kept until it is refused, replaced, the page signs out, or the server
//   closes with a "do not come back" code. It is short-lived, signed by the
//   server and bound to the uid: it is not a password.
import { RESUME_PREFIX, SIGNIN_PREFIX, SUBPROTOCOL } from "../protocol/control.js";

/** What a connection's upgrade carried. */
export type Carried = "signin" | "resume" | null;

export class Credentials {
  private signIn: string | null = null;
  private ticket: string | null = null;

  /** A sign-in to carry in the next upgrade; it replaces any ticket (the latest sign-in wins). */
  setSignIn(encoded: string): void {
    this.signIn = encoded;
    this.ticket = null;
  }

  setTicket(ticket: string): void {
    this.ticket = ticket;
  }

  /** Forgets everything (sign-out, kick, replaced). */
  clear(): void {
    this.signIn = null;
    this.ticket = null;
  }

  dropTicket(): void {
    this.ticket = null;
  }

  dropSignIn(): void {
    this.signIn = null;
  }

  get hasTicket(): boolean {
    return this.ticket !== null;
  }

  /** Subprotocols for the next upgrade: a pending sign-in first, else the ticket, else none. */
  next(): { protocols: string[]; carried: Carried } {
    if (this.signIn !== null) return { protocols: [SUBPROTOCOL, SIGNIN_PREFIX + this.signIn], carried: "signin" };
    if (this.ticket !== null) return { protocols: [SUBPROTOCOL, RESUME_PREFIX + this.ticket], carried: "resume" };
    return { protocols: [SUBPROTOCOL], carried: null };
  }
}
