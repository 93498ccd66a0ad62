// The admin API as the dashboard calls it (docs/dashboard.md#signing-in):
// same origin, relative paths only, the secret in this module's memory for
// the life of the tab and sent only as `Authorization: Bearer`, never in a
// URL, a cookie, storage or a log. A 401 anywhere forgets it.
import { browserFetch } from "./dom.js";

let secret: string | undefined;
let onRefused: (message: string) => void = () => {};

/** An answer other than 2xx: its status and the API's `error` text. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Keeps the secret for the calls that follow; `refused` is told when the API refuses it (401). */
export function remember(given: string, refused: (message: string) => void): void {
  secret = given;
  onRefused = refused;
}

export function forget(): void {
  secret = undefined;
}

/** One call; resolves to the JSON answer, or throws an ApiError. */
export async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  if (secret === undefined) throw new ApiError(401, "signed out");
  const headers: Record<string, string> = { Authorization: `Bearer ${secret}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await browserFetch(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    cache: "no-store",
    credentials: "omit",
    // A redirect could carry the header elsewhere: the admin API never answers one.
    redirect: "error",
  });
  const answer = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (res.ok) return answer;
  const error = new ApiError(res.status, answer.error ?? `HTTP ${res.status}`);
  if (res.status === 401 && secret !== undefined) {
    forget();
    onRefused("The admin secret was refused (401): wrong secret, or it was changed.");
  }
  throw error;
}
