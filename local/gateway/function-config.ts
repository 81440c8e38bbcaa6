// Per-function settings from a Supabase config.toml, the way the CLI reads them:
//   [functions.<name>]
//   verify_jwt = false      # default true when the section or the key is absent (platform default)
// The project's functions use supabase/config.toml; the test fixtures under
// tests/fixtures/functions use tests/fixtures/functions/config.toml (same format). The file is
// re-read when its mtime or size changes, like the env files. Only this subset of TOML is
// understood: table headers, `key = value` lines and `#` comments; other keys are ignored.
import { existsSync, readFileSync, statSync } from "node:fs";

export interface FunctionSettings {
  verifyJwt: boolean;
}

export const DEFAULT_FUNCTION_SETTINGS: Readonly<FunctionSettings> = Object.freeze({ verifyJwt: true });

const TABLE_HEADER = /^\[\s*([^[\]]+?)\s*\]$/;
const FUNCTIONS_TABLE = /^functions\.(?:"([^"]+)"|([A-Za-z0-9_-]+))$/;
const KEY_VALUE = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/;

/** Drops a `#` comment that is not inside a quoted string. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === "#") {
      return line.slice(0, i);
    }
  }
  return line;
}

/** Settings per function name found in `text`; `source` names the file in error messages. */
export function parseFunctionsConfig(text: string, source: string): Map<string, Partial<FunctionSettings>> {
  const settings = new Map<string, Partial<FunctionSettings>>();
  let current: Partial<FunctionSettings> | null = null;
  text.split("\n").forEach((rawLine, index) => {
    const line = stripComment(rawLine).trim();
    if (line === "") return;
    if (line.startsWith("[")) {
      // Any other table, or an array of tables ([[…]]), ends the current [functions.<name>].
      const table = TABLE_HEADER.exec(line)?.[1];
      const fn = table ? FUNCTIONS_TABLE.exec(table) : null;
      const name = fn?.[1] ?? fn?.[2];
      current = name ? (settings.get(name) ?? {}) : null;
      if (name && current) settings.set(name, current);
      return;
    }
    const pair = KEY_VALUE.exec(line);
    if (!current || pair?.[1] !== "verify_jwt") return;
    const value = pair[2]?.trim();
    if (value !== "true" && value !== "false") {
      throw new Error(`${source}:${index + 1}: verify_jwt must be true or false, got ${JSON.stringify(value)}`);
    }
    current.verifyJwt = value === "true";
  });
  return settings;
}

/** One config.toml, re-read when it changes; a missing file means every default. */
export class FunctionConfigFile {
  private stamp = "";
  private settings = new Map<string, Partial<FunctionSettings>>();

  constructor(readonly path: string) {}

  private refresh(): void {
    const stamp = existsSync(this.path) ? `${statSync(this.path).mtimeMs}:${statSync(this.path).size}` : "-";
    if (stamp === this.stamp) return;
    this.settings = stamp === "-" ? new Map() : parseFunctionsConfig(readFileSync(this.path, "utf8"), this.path);
    this.stamp = stamp;
  }

  settingsFor(name: string): FunctionSettings {
    this.refresh();
    return { ...DEFAULT_FUNCTION_SETTINGS, ...this.settings.get(name) };
  }
}
