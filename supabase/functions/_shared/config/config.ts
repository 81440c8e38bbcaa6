// The environment parsed once into a typed `Config`, or EVERY problem at once (missing, malformed,
// out of range, near-miss names), each naming its variable and the fix, never a secret value; and
// the CRON_SECRET check on its own, whatever else is wrong: the HTTP entry fails closed on it before
// authenticating. Runtime-neutral: index.ts passes `Deno.env.toObject()`, Node callers `process.env`.

import type { z } from "zod";
import { read } from "./fields.ts";
import { nameProblems } from "./near-miss.ts";
import { secretKey } from "./secret-key.ts";
import { CRON_SECRET, PLOOMES, SUPABASE_URL, SYNC } from "./settings.ts";
import { SECRET_KEY_PAIR, VARIABLE_NAMES } from "./variables.ts";

export type { LineItemsSetting } from "./settings.ts";

export interface Config {
  readonly ploomes: Readonly<z.output<typeof PLOOMES>>;
  readonly cronSecret: string;
  /** `secretKeySource` says where the key came from, e.g. `SUPABASE_SECRET_KEYS.default` (safe to log). */
  readonly supabase: DatabaseAccess & { readonly secretKeySource: string };
  readonly sync: Readonly<z.output<typeof SYNC>>;
}
export type ConfigProblem = { readonly variable: string; readonly message: string };
/** How to reach the SQL API, known even when the rest of the configuration is broken. */
export type DatabaseAccess = { readonly url: string; readonly secretKey: string };
export type CronSecretCheck = { ok: true; secret: string } | { ok: false; problem: ConfigProblem };
/** On failure, `database` is set when the failure can still be recorded as a run (ploomes_sync.runs). */
export type ConfigResult =
  | { ok: true; cronSecret: CronSecretCheck; config: Config }
  | { ok: false; cronSecret: CronSecretCheck; problems: ConfigProblem[]; database: DatabaseAccess | null };
export type Env = Readonly<Record<string, string | undefined>>;

/** Problems in VARIABLE_NAMES order, then those of unknown (stray) variables. */
const RANK = new Map<string, number>(VARIABLE_NAMES.map((name, index) => [name, index]));
const rank = (problem: ConfigProblem): number => RANK.get(problem.variable) ?? RANK.size;

/** A settings group, each field read from the variable named after it: PLOOMES_ + `pageSize` → PLOOMES_PAGE_SIZE. */
function readGroup<S extends z.ZodObject>(prefix: string, group: S, values: Readonly<Record<string, string>>) {
  const variable = (field: PropertyKey) => prefix + String(field).replace(/[A-Z]/g, "_$&").toUpperCase();
  const input = Object.fromEntries(Object.keys(group.shape).map((field) => [field, values[variable(field)]]));
  const { data, error } = group.safeParse(input);
  const issues = error?.issues.map(({ path, message }) => ({ variable: variable(path[0] ?? ""), message }));
  return { data, issues: issues ?? [] };
}

export function parseConfig(env: Env): ConfigResult {
  // Trimmed; empty or whitespace-only counts as unset.
  const values = Object.fromEntries(
    Object.entries(env).flatMap(([name, value]) => (value?.trim() ? [[name, value.trim()]] : [])),
  );
  const { renames, strays } = nameProblems(values);
  // A near-miss name set instead explains an unset variable better than "is not set" does.
  const named = (name: string, tail: string) => ({ variable: name, message: renames.get(name) ?? `${name} ${tail}` });
  const cron = read(CRON_SECRET, values["CRON_SECRET"]);
  const cronSecret: CronSecretCheck = cron.ok
    ? { ok: true, secret: cron.value }
    : { ok: false, problem: named("CRON_SECRET", cron.problem) };
  const url = read(SUPABASE_URL, values["SUPABASE_URL"]);
  const key = secretKey(values);
  const ploomes = readGroup("PLOOMES_", PLOOMES, values);
  const sync = readGroup("SYNC_", SYNC, values);
  const problems: ConfigProblem[] = [
    ...(cronSecret.ok ? [] : [cronSecret.problem]),
    ...(url.ok ? [] : [named("SUPABASE_URL", url.problem)]),
    // A near miss of either key (listed below) says more than "neither is set".
    ...(key.ok || SECRET_KEY_PAIR.some((name) => renames.has(name)) ? [] : [key.problem]),
    ...[...ploomes.issues, ...sync.issues].map((issue) => named(issue.variable, issue.message)),
  ];
  // A near miss is a problem even where a default applies: the default would replace the value meant.
  const unlisted = [...renames].filter(([variable]) => !problems.some((listed) => listed.variable === variable));
  problems.push(...unlisted.map(([variable, message]) => ({ variable, message })), ...strays);
  problems.sort((a, b) => rank(a) - rank(b));

  if (!cronSecret.ok || !url.ok || !key.ok || !ploomes.data || !sync.data || problems.length > 0) {
    const database = url.ok && key.ok ? { url: url.value, secretKey: key.key } : null;
    return { ok: false, cronSecret, problems, database };
  }
  const supabase = { url: url.value, secretKey: key.key, secretKeySource: key.source };
  const config = { ploomes: ploomes.data, cronSecret: cronSecret.secret, supabase, sync: sync.data };
  return { ok: true, cronSecret, config };
}

/** All problems on one line, e.g. for a 500 body or a log line. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  if (problems.length === 0) return "configuration is valid";
  const noun = problems.length === 1 ? "problem" : "problems";
  return `${problems.length} configuration ${noun}: ${problems.map((problem) => problem.message).join(" | ")}`;
}

/** The configuration with secrets replaced by their length, safe to log. */
export function describeConfig(config: Config): Record<string, unknown> {
  const hidden = (secret: string): string => `[set, ${secret.length} characters]`;
  const ploomes = { ...config.ploomes, apiKey: hidden(config.ploomes.apiKey) };
  const supabase = { ...config.supabase, secretKey: hidden(config.supabase.secretKey) };
  return { ...config, ploomes, cronSecret: hidden(config.cronSecret), supabase };
}
