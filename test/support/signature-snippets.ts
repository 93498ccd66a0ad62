// The signature checks docs/events.md#the-signature gives (for Node and for
// Workers), loaded as written: each ```js block is written to a temporary
// module and imported, so tests run the page's code, not a copy of it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const PAGE = new URL("../../docs/events.md", import.meta.url);

export type Verify = (
  body: string,
  header: string | null | undefined,
  secret: string,
  now?: number,
) => boolean | Promise<boolean>;

/** The first ```js block under the heading (e.g. "### Verifying in Node"). */
export function snippet(heading: string): string {
  const page = readFileSync(PAGE, "utf8");
  const at = page.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`docs/events.md has no "${heading}"`);
  const block = /```js\n([\s\S]*?)```/.exec(page.slice(at));
  if (!block) throw new Error(`no js block under "${heading}"`);
  return block[1] as string;
}

/** The snippet's `verifySockizySignature`, imported from a temporary module. */
export async function loadVerify(heading: string): Promise<Verify> {
  const dir = mkdtempSync(join(tmpdir(), "sockizy-snippet-"));
  try {
    const file = join(dir, "verify.mjs");
    writeFileSync(file, snippet(heading));
    return ((await import(pathToFileURL(file).href)) as { verifySockizySignature: Verify }).verifySockizySignature;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const NODE_SNIPPET = "### Verifying in Node";
export const WORKER_SNIPPET = "### Verifying in a Worker";
