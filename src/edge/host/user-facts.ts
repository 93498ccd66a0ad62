// A user object's own facts: its uid, the one thing a wake must read back
// from storage (the sockets carry the rest in their attachments).
import type { Uid } from "../app/packet-maps.js";

export class UserFacts {
  /** This object's uid, from storage: the Worker names the object after it. */
  uid: Uid | null = null;
  private loading: Promise<void> | undefined;

  constructor(private readonly ctx: DurableObjectState) {}

  /**
   * Reads the uid at the first event that needs it, not in the constructor:
   * a broadcast wakes every online user object and only calls `sendAll`,
   * which needs no storage at all (measured by `npm run bench:scale`: reading
   * storage at every wake made a broadcast to 1,200 users 15x slower under
   * the local runtime).
   */
  load(also: readonly string[] = [], seed?: (stored: Map<string, unknown>) => void): Promise<void> {
    // With the other keys the object's members keep, in one read: a sign-in reads nothing else.
    this.loading ??= this.ctx.storage.get(["uid", ...also]).then((stored) => {
      if (this.uid === null) this.uid = (stored.get("uid") as Uid | undefined) ?? null;
      seed?.(stored);
    });
    return this.loading;
  }

  /** The first sign-in of a fresh object stores its uid. */
  async adopt(uid: Uid): Promise<void> {
    if (this.uid !== null) return;
    this.uid = uid;
    await this.ctx.storage.put("uid", uid);
  }

  /**
   * Whether uid is this object's. The object is named String(uid), so its
   * id's name says it; a fresh object reached by name is that uid's too.
   */
  isMine(uid: Uid): boolean {
    return String(uid) === String(this.ctx.id.name ?? this.uid ?? uid);
  }

  /** The object's name (its uid's string form), as other objects call it back. */
  get name(): string {
    return String(this.ctx.id.name ?? this.uid);
  }
}
