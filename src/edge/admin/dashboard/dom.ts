// The little of the DOM the dashboard uses, typed here: the project compiles
// against the Workers types, where the DOM library would clash (the seed's
// demo does the same: src/seed/demo/dom.ts).

export interface Element {
  textContent: string | null;
  value: string;
  hidden: boolean;
  disabled: boolean;
  className: string;
  append(...nodes: (Element | string)[]): void;
  replaceChildren(...nodes: (Element | string)[]): void;
  setAttribute(name: string, value: string): void;
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void): void;
  focus(): void;
}

interface Document {
  readonly visibilityState: string;
  getElementById(id: string): Element | null;
  createElement(tag: string): Element;
  createElementNS(namespace: string, tag: string): Element;
  addEventListener(type: string, listener: () => void): void;
}

export const document = (globalThis as unknown as { document: Document }).document;

export function byId(id: string): Element {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`dashboard: no #${id}`);
  return el;
}

/** An element with its text, for tables and lists. */
export function el(tag: string, text = "", className = ""): Element {
  const e = document.createElement(tag);
  e.textContent = text;
  if (className) e.className = className;
  return e;
}

/** An SVG element with its attributes. */
export function svg(tag: string, attributes: Record<string, string | number>): Element {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) e.setAttribute(name, String(value));
  return e;
}

/** A form whose submit runs `run` instead of navigating (the page never puts a field in a URL). */
export function onSubmit(form: Element, run: () => void | Promise<void>): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void run();
  });
}

/** The browser's fetch, with the init fields the Workers types leave out. */
export const browserFetch = globalThis.fetch as unknown as (
  path: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body?: string;
    cache: "no-store";
    credentials: "omit";
    redirect: "error";
  },
) => Promise<Response>;
