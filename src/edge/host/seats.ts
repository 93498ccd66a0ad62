// The connection cap of one uid (spec section 5): which seat a sign-in
// takes, over the object's own bound sockets and its relayed members alike.
import type { CapPolicy, SignInOutcome, Uid } from "../app/define-app.js";
import type { RelayMember } from "../rpc/contracts.js";
import type { EdgeSocket } from "../sockets/socket.js";

/** A seat: a local socket or a relayed member. */
export type Seat = EdgeSocket | RelayMember;

export type Taken = { refused: SignInOutcome } | { replaced?: Seat };

/**
 * Decides a sign-in against the cap. Pure and synchronous: the caller
 * counts, decides and binds in one stretch, so sign-ins racing in the
 * object (local or relayed) cannot both pass. With "replace-oldest" the
 * oldest seat (by accept order) is the one to give up.
 */
export function takeSeat(
  uid: Uid,
  cap: number,
  policy: CapPolicy,
  locals: readonly EdgeSocket[],
  members: readonly RelayMember[],
): Taken {
  const count = locals.length + members.length;
  if (count < cap) return {};
  if (policy !== "replace-oldest") return { refused: { kind: "cap", uid, cap, count } };
  const local = locals.reduce<EdgeSocket | undefined>(
    (a, b) => (a && a.attachment.at <= b.attachment.at ? a : b),
    undefined,
  );
  const member = members[0]; // oldest first
  return { replaced: local && (!member || local.attachment.at <= member.at) ? local : member };
}
