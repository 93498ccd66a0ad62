// Send to everyone (docs/dashboard.md#broadcast): `io.session.emit(message)`
// through POST /admin/emit, which answers how many user objects the
// broadcast reached and how many failed or timed out.
import { ApiError, call } from "./api.js";
import { byId, onSubmit } from "./dom.js";

export function setUpBroadcast(): void {
  const form = byId("broadcast");
  const message = byId("message");
  const result = byId("broadcast-result");
  const send = byId("send");
  onSubmit(form, async () => {
    if (message.value === "") {
      result.textContent = "Write a message first.";
      return;
    }
    send.disabled = true;
    result.textContent = "Sending…";
    try {
      const { reached, failed } = await call<{ reached: number; failed: number }>("POST", "/admin/emit", {
        message: message.value,
      });
      result.textContent = `Sent: ${reached} user object${reached === 1 ? "" : "s"} reached, ${failed} failed.`;
      message.value = "";
    } catch (e) {
      result.textContent = e instanceof ApiError && e.status === 401 ? "" : `Not sent: ${(e as Error).message}`;
    } finally {
      send.disabled = false;
    }
  });
}
