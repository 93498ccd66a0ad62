// A user's devices (docs/dashboard.md#a-users-devices): the sockets of one
// uid from GET /admin/sessions, each with a Kick (that socket only, 4003),
// and Kick all (every socket of the uid, 4003) and Clear session (every
// socket unbound, left connected) for the uid. Every action looks the user
// up again, so the table shows what the server holds after it.
import { ApiError, call } from "./api.js";
import { byId, el, onSubmit } from "./dom.js";
import { clock, serverNow } from "./figures.js";

/** One socket, as GET /admin/sessions lists it. */
interface Socket {
  id: string;
  since: number;
  lastSeen: number;
  path: "direct" | "relay";
  ctl: boolean;
}

/** The uid whose sockets the table shows (the actions act on it, not on what the field holds now). */
let shown: string | undefined;

export function setUpDevices(): void {
  onSubmit(byId("lookup"), () => lookUp(byId("uid").value.trim()));
  byId("kick-all").addEventListener("click", () => {
    if (shown !== undefined) void act(shown, "/admin/kick", { uid: shown }, "Kicked every socket (4003)");
  });
  byId("clear").addEventListener("click", () => {
    if (shown !== undefined)
      void act(shown, "/admin/clear", { uid: shown }, "Cleared the session (sockets stay connected)");
  });
}

export function resetDevices(): void {
  shown = undefined;
  byId("uid").value = "";
  byId("devices").hidden = true;
  byId("devices-result").textContent = "";
}

async function lookUp(uid: string, done = ""): Promise<void> {
  const result = byId("devices-result");
  if (uid === "") {
    result.textContent = "Enter a user id.";
    return;
  }
  try {
    const answer = await call<{ uid: string; sessions: Socket[] }>(
      "GET",
      `/admin/sessions?uid=${encodeURIComponent(uid)}`,
    );
    show(answer.uid, answer.sessions);
    const n = answer.sessions.length;
    const held = n === 0 ? `User ${uid} holds no socket.` : `User ${uid} holds ${n} socket${n === 1 ? "" : "s"}.`;
    result.textContent = done ? `${done}. ${held}` : held;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) result.textContent = `Look up failed: ${(e as Error).message}`;
  }
}

function show(uid: string, sockets: Socket[]): void {
  shown = uid;
  byId("devices-caption").textContent = `Sockets of user ${uid}`;
  const now = serverNow();
  byId("sockets").replaceChildren(
    ...sockets.map((s, i) => {
      const row = el("tr");
      const id = el("td", s.id, "id");
      id.setAttribute("id", `socket-${i}`);
      const kick = el("button", "Kick", "danger");
      kick.setAttribute("type", "button");
      kick.setAttribute("aria-describedby", `socket-${i}`);
      kick.addEventListener("click", () => {
        void act(uid, "/admin/kick", { uid, socket: s.id }, `Kicked socket ${s.id} (4003)`);
      });
      const path = `${s.path}${s.ctl ? "" : ", no heartbeat"}`;
      const action = el("td", "", "action");
      action.append(kick);
      row.append(
        id,
        cell("Since", clock(s.since)),
        cell("Last seen", ago(now - s.lastSeen)),
        cell("Path", path),
        action,
      );
      return row;
    }),
  );
  byId("devices").hidden = false;
}

async function act(uid: string, path: string, body: unknown, done: string): Promise<void> {
  try {
    await call("POST", path, body);
    await lookUp(uid, done);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401))
      byId("devices-result").textContent = `Failed: ${(e as Error).message}`;
  }
}

/** A cell that says its column's name before its value where the header row is hidden (a phone). */
function cell(column: string, text: string) {
  const td = el("td", text);
  td.setAttribute("data-label", column);
  return td;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}
