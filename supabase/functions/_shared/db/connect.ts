// The supabase-js client both functions reach the SQL API with: the secret key, no session (a
// function is a server, not a signed-in user).
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { DatabaseAccess } from "../config/config.ts";

export function connectDatabase(database: DatabaseAccess): SupabaseClient {
  return createClient(database.url, database.secretKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}
