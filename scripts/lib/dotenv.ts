// Values from a project-level `.env` file (git-ignored), for the command-line scripts. Variables
// already set in the environment win, like in most tools that read .env files.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvFile } from "../../local/stack/keys.ts";
import { PROJECT_ROOT } from "../../local/stack/paths.ts";

export function loadDotEnv(): Record<string, string> {
  const file = join(PROJECT_ROOT, ".env");
  const fromFile = existsSync(file) ? parseEnvFile(readFileSync(file, "utf8")) : {};
  const merged: Record<string, string> = { ...fromFile };
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) merged[name] = value;
  return merged;
}

/** The variables the Edge Function reads that a user may set for a local run. */
export function functionVariables(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => /^(PLOOMES?_|SYNC_)/.test(name)));
}
