// The live figures (docs/dashboard.md#the-page): /admin/stats every POLL_MS
// while the tab is visible, drawn without reloading. Rates are the change of
// a counter between two answers over the time between them: sign-ins by
// outcome between two scrapes (the server scrapes at most every few
// seconds), broadcasts between two polls.
import type { AdminStats, ScrapeFigures } from "../stats.js";
import { ApiError, call } from "./api.js";
import { drawBars, drawLine } from "./charts.js";
import { byId, document, el } from "./dom.js";

/** How often the page asks while visible: one call to the global object each (docs/dashboard.md#what-a-poll-costs). */
export const POLL_MS = 3_000;
/** Users online are charted over this long, from the polls of this tab. */
const HISTORY_MS = 10 * 60_000;

const OUTCOMES: Record<keyof ScrapeFigures["signIns"], string> = {
  ok: "signed in",
  cap: "refused by the cap",
  bad: "bad credentials",
  error: "authenticate threw",
  resume_refused: "resume refused",
  limited: "rate limited",
};

let running = false;
let timer: ReturnType<typeof setTimeout> | undefined;
let history: [number, number][] = [];
/** The last answer, and the last scrape different from the one before it (for rates). */
let last: AdminStats | undefined;
let rates: { from: ScrapeFigures; to: ScrapeFigures } | undefined;

/** Shows `first` (the answer that proved the secret) and polls from then on. */
export function startFigures(first: AdminStats): void {
  running = true;
  show(first);
  schedule();
}

export function stopFigures(): void {
  running = false;
  clearTimeout(timer);
  history = [];
  last = undefined;
  rates = undefined;
}

function schedule(): void {
  clearTimeout(timer);
  if (running) timer = setTimeout(poll, POLL_MS);
}

async function poll(): Promise<void> {
  // A hidden tab asks nothing; it asks at once when shown again.
  if (!running || document.visibilityState !== "visible") return;
  try {
    show(await call<AdminStats>("GET", "/admin/stats"));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return; // signed out by api.ts
    byId("updated").textContent = `The last refresh failed (${(e as Error).message}); trying again.`;
  }
  schedule();
}

document.addEventListener("visibilitychange", () => {
  if (running && document.visibilityState === "visible") void poll();
});

/** The server's clock less this browser's, from the last answer: "last seen" is counted on the server's clock. */
let skew = 0;

/** Now, on the server's clock (as of the last poll). */
export function serverNow(): number {
  return Date.now() + skew;
}

function show(s: AdminStats): void {
  skew = s.at - Date.now();
  const before = last;
  last = s;
  history.push([s.at, s.size]);
  history = history.filter(([t]) => t >= s.at - HISTORY_MS);
  if (before && before.scrape.at !== s.scrape.at) rates = { from: before.scrape, to: s.scrape };

  byId("size").textContent = String(s.size);
  byId("online-top").textContent = String(drawLine(byId("online-chart"), history, s.at - HISTORY_MS, s.at));
  byId("bound").textContent = String(s.scrape.bound);
  byId("anonymous").textContent = String(s.scrape.anonymous);
  showSignIns(s.scrape);
  byId("broadcasts").textContent = String(s.broadcasts);
  byId("failures").textContent = String(s.broadcastFailures);
  byId("broadcast-rate").textContent = before ? perSecond(s.broadcasts - before.broadcasts, s.at - before.at) : "–";
  // One bar per shard number up to the highest that ever held a user (the others are at 0).
  const users = new Map(s.shards.map((r) => [r.shard, r.users]));
  const count = (s.shards.at(-1)?.shard ?? -1) + 1;
  const bars = Array.from({ length: count }, (_, i): [string, number] => [`shard ${i}`, users.get(i) ?? 0]);
  byId("shards-top").textContent = String(drawBars(byId("shards-chart"), bars));
  byId("shards-count").textContent = count === 0 ? "no shard has had a user yet" : `shards 0 to ${count - 1}`;
  const unreachable = s.scrape.unreachable > 0 ? `; ${s.scrape.unreachable} objects did not answer the scrape` : "";
  byId("updated").textContent =
    `Updated ${clock(s.at)}; sockets and sign-ins as of ${clock(s.scrape.at)}${unreachable}.`;
}

function showSignIns(scrape: ScrapeFigures): void {
  const rows = (Object.keys(OUTCOMES) as (keyof typeof OUTCOMES)[]).map((outcome) => {
    const rate = rates
      ? perSecond(rates.to.signIns[outcome] - rates.from.signIns[outcome], rates.to.at - rates.from.at)
      : "–";
    const row = el("tr");
    row.append(el("th", OUTCOMES[outcome]), el("td", rate, "num"), el("td", String(scrape.signIns[outcome]), "num"));
    return row;
  });
  byId("signins").replaceChildren(...rows);
}

function perSecond(delta: number, ms: number): string {
  return ms > 0 ? (delta / (ms / 1000)).toFixed(delta === 0 ? 0 : 2) : "–";
}

export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}
