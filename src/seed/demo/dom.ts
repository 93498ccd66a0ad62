// The little of the DOM the demo uses, typed here: the project compiles
// against the Workers types, where the DOM library would clash.

export interface Element {
  textContent: string | null;
  className: string;
  value: string;
  dataset: Record<string, string | undefined>;
  readonly childElementCount: number;
  readonly lastElementChild: Element | null;
  prepend(...nodes: Element[]): void;
  append(...nodes: (Element | string)[]): void;
  remove(): void;
  setAttribute(name: string, value: string): void;
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void): void;
}

interface Document {
  readonly visibilityState: string;
  getElementById(id: string): Element | null;
  createElement(tag: string): Element;
}

export const document = (globalThis as unknown as { document: Document }).document;

export function byId(id: string): Element {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`demo: no #${id}`);
  return el;
}
