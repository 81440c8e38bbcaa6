// The env file the gateway hands to the Edge Functions it serves (.local/functions.env, like
// `supabase functions serve --env-file`). Written by npm start / npm run sync and by the tests;
// the gateway restarts a function when the file changes.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { FUNCTIONS_ENV_FILE } from "./paths.ts";

/** Replaces the function env with `values`; it may hold secrets, so only the owner can read it. */
export function writeFunctionEnv(values: Readonly<Record<string, string>>, comment: string): void {
  const lines = Object.entries(values).map(([name, value]) => `${name}=${value}`);
  mkdirSync(dirname(FUNCTIONS_ENV_FILE), { recursive: true });
  writeFileSync(FUNCTIONS_ENV_FILE, `# ${comment}\n${lines.join("\n")}\n`, { mode: 0o600 });
}
