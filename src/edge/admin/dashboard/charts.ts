// The dashboard's two charts, drawn as SVG by the page (no library): users
// online over the last minutes, and users per registry shard. Both scale to
// their box (viewBox, preserveAspectRatio none), so they fit a phone; their
// scale is written beside them in HTML, where text is not stretched.
import { type Element, svg } from "./dom.js";

/** The viewBox both charts draw in; CSS sets their size. */
const W = 300;
const H = 80;

/** A line of `points` ([time, value]) from `from` to `to`, scaled to its highest value, which it returns. */
export function drawLine(box: Element, points: readonly [number, number][], from: number, to: number): number {
  const top = Math.max(1, ...points.map(([, v]) => v));
  const x = (t: number) => ((t - from) / Math.max(1, to - from)) * W;
  const y = (v: number) => H - (v / top) * (H - 4);
  const d = points.map(([t, v], i) => `${i === 0 ? "M" : "L"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join("");
  const parts = [svg("line", { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: "axis" })];
  if (points.length > 0) {
    const last = points[points.length - 1] as [number, number];
    const first = points[0] as [number, number];
    parts.push(svg("path", { d: `${d}L${x(last[0]).toFixed(1)},${H}L${x(first[0]).toFixed(1)},${H}Z`, class: "area" }));
    parts.push(svg("path", { d, class: "line" }));
  }
  box.replaceChildren(...parts);
  return top;
}

/** One bar per entry ([label, value]), scaled to the highest value, which it returns. */
export function drawBars(box: Element, bars: readonly [string, number][]): number {
  const top = Math.max(1, ...bars.map(([, v]) => v));
  const step = W / Math.max(1, bars.length);
  const parts = [svg("line", { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: "axis" })];
  bars.forEach(([name, value], i) => {
    const h = (value / top) * (H - 4);
    const bar = svg("rect", { x: i * step + step * 0.1, y: H - h, width: step * 0.8, height: h, class: "bar" });
    const title = svg("title", {});
    title.textContent = `${name}: ${value}`;
    bar.append(title);
    parts.push(bar);
  });
  box.replaceChildren(...parts);
  return top;
}
