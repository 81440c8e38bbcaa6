// What the platform puts in every Edge Function's environment (SUPABASE_URL, the keys, the DB
// URL), as `supabase functions serve` does, plus what Deno itself needs to run (PATH, HOME,
// DENO_DIR). Shared by the gateway and by tests that host a function themselves.
import type { StackKeys } from "../stack/keys.ts";
import { DB_URL, GATEWAY_URL } from "../stack/paths.ts";

export function platformFunctionEnv(keys: StackKeys): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    ...(process.env.DENO_DIR ? { DENO_DIR: process.env.DENO_DIR } : {}),
    SUPABASE_URL: GATEWAY_URL,
    SUPABASE_ANON_KEY: keys.ANON_KEY,
    SUPABASE_SERVICE_ROLE_KEY: keys.SERVICE_ROLE_KEY,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.PUBLISHABLE_KEY }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.SECRET_KEY }),
    SUPABASE_DB_URL: DB_URL,
  };
}
