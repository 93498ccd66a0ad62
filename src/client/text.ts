// What `text(data)` sends for a value that is not a string, as the original:
// null, undefined and NaN become "", numbers their digits, objects JSON.
export function toText(data: unknown): string {
  switch (typeof data) {
    case "string":
      return data;
    case "undefined":
      return "";
    case "number":
      return Number.isNaN(data) ? "" : String(data);
    case "symbol":
      return data.toString();
    case "bigint":
    case "boolean":
      return String(data);
    default:
      return data === null ? "" : (JSON.stringify(data) ?? "");
  }
}
