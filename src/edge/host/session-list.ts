// A user's sessions, as `io.session.list(uid)` and `GET /admin/sessions`
// show them (docs/operations.md#sessions-of-a-user): its bound sockets, held
// here or by relay, from attachments and the members' rows. No IP address,
// no credential: ids, times and flags only.
import type { RelayedMembers } from "../relay/members.js";
import type { EdgeSocket, SessionInfo } from "../sockets/socket.js";

/**
 * The sessions of the sockets bound here and of the relayed members, oldest
 * first. A socket's `lastSeen` is its last frame (in memory, and in its
 * attachment every `SEEN_WRITE_MS`) or its last heartbeat (the runtime's
 * auto-response time, kept while the object hibernates), whichever is later;
 * a member's comes from its holder, one call per holder.
 */
export async function listSessions(
  ctx: DurableObjectState,
  bound: readonly EdgeSocket[],
  members: RelayedMembers,
): Promise<SessionInfo[]> {
  const local = bound.map((s): SessionInfo => {
    const since = s.attachment.since ?? s.attachment.at;
    const pinged = ctx.getWebSocketAutoResponseTimestamp(s.ws)?.getTime() ?? 0;
    return { id: s.id, since, lastSeen: Math.max(since, s.lastHeard(pinged)), path: "direct", ctl: s.attachment.ctl };
  });
  const relayed = members.all();
  const heard = relayed.length === 0 ? new Map<string, number>() : await members.heard(relayed);
  const remote = relayed.map((m): SessionInfo => {
    const since = m.since ?? m.at;
    // Only clients without the sockizy subprotocol are bound by relay (docs/sign-in.md#sign-in-by-relay).
    return { id: m.id, since, lastSeen: Math.max(since, heard.get(m.id) ?? 0), path: "relay", ctl: false };
  });
  return [...local, ...remote].sort((a, b) => a.since - b.since);
}
