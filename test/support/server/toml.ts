// The part of TOML our wrangler.toml files are written in, read without
// importing wrangler (its import alone costs ~2 s of CPU, once per test
// file: docs/testing.md#tests-that-start-a-server): comments, `[table]`,
// `[[array.of.tables]]` and `key = value` on one line, where a value is a
// basic string, a boolean, an integer or a one-line array of those. Anything
// else is refused with its file and line, never guessed at.

/** A value of the subset. */
export type TomlValue = string | number | boolean | TomlValue[] | TomlTable | TomlTable[];
export interface TomlTable {
  [key: string]: TomlValue;
}

const KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Parses `text` (the contents of `file`, named in errors).
 *
 * @example
 * parseToml('name = "x"\n[[migrations]]\ntag = "v1"\n', "wrangler.toml");
 * // { name: "x", migrations: [{ tag: "v1" }] }
 */
export function parseToml(text: string, file: string): TomlTable {
  const root: TomlTable = {};
  let current = root;
  text.split("\n").forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const line = stripComment(raw, where).trim();
    if (line === "") return;
    const header = /^(\[\[?)\s*([A-Za-z0-9_.-]+)\s*(\]\]?)$/.exec(line);
    if (header) {
      const many = header[1] === "[[";
      if (many !== (header[3] === "]]")) throw new Error(`${where}: unbalanced table header: ${line}`);
      current = openTable(root, (header[2] as string).split("."), many, where);
      return;
    }
    const eq = line.indexOf("=");
    const key = line.slice(0, eq).trim();
    if (eq < 0 || !KEY.test(key)) throw new Error(`${where}: not a key = value line this reader knows: ${line}`);
    if (key in current) throw new Error(`${where}: ${key} is set twice`);
    current[key] = parseValue(line.slice(eq + 1).trim(), where);
  });
  return root;
}

/** The line without its comment (a # outside a string). */
function stripComment(line: string, where: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\" && inString) i++;
    else if (c === '"') inString = !inString;
    else if (c === "'") throw new Error(`${where}: literal strings ('...') are not read here; use "..."`);
    else if (c === "#" && !inString) return line.slice(0, i);
  }
  return line;
}

/** The table a header names, made on the way; `[[a.b]]` appends a new one to the array a.b. */
function openTable(root: TomlTable, path: string[], many: boolean, where: string): TomlTable {
  let table = root;
  path.forEach((key, i) => {
    const last = i === path.length - 1;
    let next = table[key];
    if (last && many) {
      if (next === undefined) next = table[key] = [];
      if (!Array.isArray(next) || next.some((t) => typeof t !== "object" || Array.isArray(t)))
        throw new Error(`${where}: ${path.join(".")} is not an array of tables`);
      const fresh: TomlTable = {};
      (next as TomlTable[]).push(fresh);
      table = fresh;
      return;
    }
    if (next === undefined) next = table[key] = {};
    if (Array.isArray(next)) next = next.at(-1);
    if (typeof next !== "object" || next === null || Array.isArray(next))
      throw new Error(`${where}: ${path.slice(0, i + 1).join(".")} is not a table`);
    table = next;
  });
  return table;
}

function parseValue(text: string, where: string): TomlValue {
  if (text.startsWith('"')) {
    const end = closingQuote(text, where);
    if (text.slice(end + 1).trim() !== "") throw new Error(`${where}: text after a string: ${text}`);
    try {
      return JSON.parse(text.slice(0, end + 1)) as string; // TOML's basic strings escape as JSON's do, but for \U and \e
    } catch {
      throw new Error(`${where}: a string with an escape this reader does not know: ${text}`);
    }
  }
  if (text === "true" || text === "false") return text === "true";
  if (/^[+-]?\d+$/.test(text)) return Number(text);
  if (text.startsWith("[") && text.endsWith("]")) return parseArray(text.slice(1, -1), where);
  throw new Error(
    `${where}: a value this reader does not know (a string, boolean, integer or one-line array): ${text}`,
  );
}

/** The index of the quote that ends the string `text` starts with. */
function closingQuote(text: string, where: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  throw new Error(`${where}: a string without its closing quote: ${text}`);
}

function parseArray(inner: string, where: string): TomlValue[] {
  const items: TomlValue[] = [];
  let rest = inner.trim();
  while (rest !== "") {
    const end = rest.startsWith('"') ? closingQuote(rest, where) + 1 : rest.search(/,|$/);
    items.push(parseValue(rest.slice(0, end).trim(), where));
    rest = rest.slice(end).trim();
    if (rest.startsWith(",")) rest = rest.slice(1).trim();
    else if (rest !== "") throw new Error(`${where}: expected "," in an array before: ${rest}`);
  }
  return items;
}
