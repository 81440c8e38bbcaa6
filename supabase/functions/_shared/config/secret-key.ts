// The SQL API's key: SUPABASE_SECRET_KEYS (the new API keys, a JSON object of named keys) first,
// else the legacy SUPABASE_SERVICE_ROLE_KEY. Supabase injects both into deployed functions.

type SecretKey =
  | { ok: true; key: string; source: string }
  | { ok: false; problem: { variable: string; message: string } };

export function secretKey(values: Readonly<Record<string, string>>): SecretKey {
  const fail = (message: string): SecretKey => ({ ok: false, problem: { variable: "SUPABASE_SECRET_KEYS", message } });
  const keys = values["SUPABASE_SECRET_KEYS"] ?? ""; // "" is unset: set values are never empty
  const named = keys === "" ? {} : jsonObject(keys);
  if (named === null) {
    // Without the JSON parser's text, which would quote the secret.
    const expected = `expected e.g. {"default":"sb_secret_…"}; ${keys.length} characters, value not shown`;
    return fail(`SUPABASE_SECRET_KEYS is not a JSON object of named keys (${expected})`);
  }
  // `default`, else the first non-empty entry; none (`{}`) falls back to the legacy key.
  const usable = Object.entries(named).filter(([, key]) => typeof key === "string" && key.trim() !== "");
  const [name, key] = usable.find(([entry]) => entry === "default") ?? usable[0] ?? [];
  if (typeof key === "string") return { ok: true, key: key.trim(), source: `SUPABASE_SECRET_KEYS.${name}` };
  const legacy = values["SUPABASE_SERVICE_ROLE_KEY"];
  if (legacy !== undefined) return { ok: true, key: legacy, source: "SUPABASE_SERVICE_ROLE_KEY" };
  const holdsNoKey = keys === "" ? "" : " (SUPABASE_SECRET_KEYS is set but holds no key)";
  const injected = "Supabase injects them into deployed functions, elsewhere set one of them";
  return fail(`neither SUPABASE_SECRET_KEYS nor SUPABASE_SERVICE_ROLE_KEY is set${holdsNoKey}; ${injected}`);
}

function jsonObject(raw: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? { ...value } : null;
  } catch {
    return null;
  }
}
