// The user object's side of a relay (docs/sign-in.md#sign-in-by-relay; the holder's
// side is holder.ts): its relayed members, sockets held by another object (a
// lobby, or another uid's object) and bound to this uid. One SQLite row per
// member (holder, socket id, bound uid, accept order), so they survive
// hibernation and are read in the same synchronous stretch as the local
// sockets when the cap is checked. Sends to a member are one RPC each to its
// holder, on one stub per holder, so they arrive in the order they were made.
import type { Uid } from "../app/define-app.js";
import type { HolderRef, RelayHolderRpc, RelayMember } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { holderStub, stubCache } from "../rpc/names.js";
import { RelayedSocket, type SocketOwner } from "../sockets/socket.js";

interface MemberRow extends Record<string, SqlStorageValue> {
  kind: string;
  name: string;
  id: string;
  uid: string;
  at: number;
  /** When it was bound; 0 in a row kept from before the column (then `at` stands in). */
  since: number;
}

const fromRow = (r: MemberRow): RelayMember => ({
  holder: { kind: r.kind as HolderRef["kind"], name: r.name },
  id: r.id,
  uid: JSON.parse(r.uid) as Uid,
  at: r.at,
  since: r.since || r.at,
});

const memberKey = (holder: HolderRef, id: string) => `${holder.kind}/${holder.name}/${id}`;

/** What the members' views need from the user object. */
export type MemberOwner = Pick<SocketOwner, "io" | "encode" | "clear" | "count" | "sessionEmit"> & {
  /** `session.delete()` on a member's socket. */
  signOut(member: RelayMember): Promise<void>;
};

export class RelayedMembers {
  private readonly sql: SqlStorage;
  /** One stub per holder for the instance's life, so what is sent to a member arrives in order. */
  private readonly holder: (ref: HolderRef) => RelayHolderRpc;
  /** One view per member for the instance's life (rebuilt from its row after a wake), as for local sockets. */
  private readonly views = new Map<string, RelayedSocket>();

  constructor(
    private readonly ctx: DurableObjectState,
    env: Env,
    private readonly owner: MemberOwner,
  ) {
    this.sql = ctx.storage.sql;
    this.holder = stubCache(
      (ref: HolderRef) => holderStub(env, ref),
      (ref) => `${ref.kind}/${ref.name}`,
    );
  }

  /**
   * Whether the table exists: read once per wake, made by the first `add`.
   * Most users are never relayed, so their sign-ins neither create it (a
   * schema write) nor query it (measured with a CPU profile of
   * `npm run bench:scale`'s sign-ins), and a broadcast's `deliver` touches no
   * storage at all.
   */
  private exists: boolean | undefined;

  private get table(): boolean {
    if (this.exists === undefined) {
      const made = this.sql
        .exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'relayed'")
        .toArray()[0];
      // A table made before members kept their bind time gets the column (its rows read `at` for it).
      if (made && !made.sql.includes("since")) {
        this.sql.exec("ALTER TABLE relayed ADD COLUMN since INTEGER NOT NULL DEFAULT 0");
      }
      this.exists = made !== undefined;
    }
    return this.exists;
  }

  /** Every member, oldest first. */
  all(): RelayMember[] {
    if (!this.table) return [];
    return this.sql.exec<MemberRow>("SELECT * FROM relayed ORDER BY at").toArray().map(fromRow);
  }

  count(): number {
    if (!this.table) return 0;
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM relayed").one().n;
  }

  get(holder: HolderRef, id: string): RelayMember | undefined {
    if (!this.table) return undefined;
    const row = this.sql
      .exec<MemberRow>("SELECT * FROM relayed WHERE kind = ? AND name = ? AND id = ?", holder.kind, holder.name, id)
      .toArray()[0];
    return row && fromRow(row);
  }

  add(m: RelayMember): void {
    if (!this.table) {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS relayed (
        kind TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL,
        uid TEXT NOT NULL, at INTEGER NOT NULL, since INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, name, id)
      )`);
      this.exists = true;
    }
    this.sql.exec(
      "INSERT OR REPLACE INTO relayed (kind, name, id, uid, at, since) VALUES (?, ?, ?, ?, ?, ?)",
      m.holder.kind,
      m.holder.name,
      m.id,
      JSON.stringify(m.uid),
      m.at,
      Date.now(),
    );
  }

  /** Unbinds a member; false if it was not one. Its view, if any, sees uid null from now on. */
  remove(m: RelayMember): boolean {
    if (!this.table) return false;
    const { rowsWritten } = this.sql.exec(
      "DELETE FROM relayed WHERE kind = ? AND name = ? AND id = ?",
      m.holder.kind,
      m.holder.name,
      m.id,
    );
    const view = this.views.get(memberKey(m.holder, m.id));
    if (view) view.uid = null;
    this.views.delete(memberKey(m.holder, m.id));
    return rowsWritten > 0;
  }

  /** The `socket` handlers see for a member (uid null once it was removed). */
  view(m: RelayMember): RelayedSocket {
    const key = memberKey(m.holder, m.id);
    const known = this.views.get(key);
    if (known) return known;
    const bound = this.get(m.holder, m.id) !== undefined;
    const view = new RelayedSocket(
      m.id,
      bound ? m.uid : null,
      {
        send: (frame) => this.later(this.holder(m.holder).relaySend(m.id, frame), "a send"),
        close: (code, reason) => this.later(this.holder(m.holder).relayClose(m.id, code, reason), "a close"),
        signOut: () => this.owner.signOut(m),
      },
      this.owner,
    );
    if (bound) this.views.set(key, view);
    return view;
  }

  /** Tells the holder the member is unbound (its frames are handled there again); with `close`, closed. */
  async end(m: RelayMember, close?: { code: number; reason: string }): Promise<void> {
    try {
      await this.holder(m.holder).relayEnd(m.id, m.uid, close);
    } catch (e) {
      console.error("sockizy-edge: ending a relay failed; the holder's audit repairs it:", e);
    }
  }

  /**
   * The audit (docs/architecture.md#no-ghost-sessions): asks each holder which of its
   * members it still holds open (one call per holder); resolves to those it
   * does not (an eviction dropped them, or their close never reached here).
   */
  async lost(): Promise<RelayMember[]> {
    const lost: RelayMember[] = [];
    for (const members of byHolder(this.all())) {
      const first = members[0] as RelayMember;
      try {
        const open = await this.holder(first.holder).relayCheck(
          first.uid,
          members.map((m) => m.id),
        );
        lost.push(...members.filter((m) => !open.includes(m.id)));
      } catch (e) {
        console.error(
          `sockizy-edge: auditing members held by ${first.holder.name} failed; the next audit tries again:`,
          e,
        );
      }
    }
    return lost;
  }

  /**
   * When each member was last heard (docs/operations.md#sessions-of-a-user), by id: its
   * holder keeps that (one call per holder; a listing, never a frame, asks). A
   * holder that does not answer leaves its members out: their `since` stands in.
   */
  async heard(members: readonly RelayMember[]): Promise<Map<string, number>> {
    const heard = new Map<string, number>();
    for (const held of byHolder(members)) {
      const first = held[0] as RelayMember;
      try {
        const times = await this.holder(first.holder).relayHeard(
          first.uid,
          held.map((m) => m.id),
        );
        for (const [id, at] of Object.entries(times)) heard.set(id, at);
      } catch (e) {
        console.error(`sockizy-edge: asking ${first.holder.name} when its relayed sockets were heard failed:`, e);
      }
    }
    return heard;
  }

  /** A send is fire-and-forget for the handler (as on a local socket), kept alive and logged here. */
  private later(call: Promise<void>, what: string): void {
    this.ctx.waitUntil(call.catch((e) => console.error(`sockizy-edge: ${what} to a relayed socket failed:`, e)));
  }
}

/** Members grouped by holder, so each holder is called once. */
function byHolder(members: readonly RelayMember[]): RelayMember[][] {
  const groups = new Map<string, RelayMember[]>();
  for (const m of members) {
    const key = `${m.holder.kind}/${m.holder.name}`;
    const list = groups.get(key);
    if (list) list.push(m);
    else groups.set(key, [m]);
  }
  return [...groups.values()];
}
