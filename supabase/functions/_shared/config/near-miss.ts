// Near-miss names: a variable we read that is unset while a similar name is set (`PLOOME_API_KEY`,
// `CRON_SECERT`) gets a message naming both; an unknown `PLOOMES_*`/`SYNC_*` variable like one of
// ours (`SYNC_TIME_BUDGET_MSS`) is reported, not ignored. Only names are read, never values.

import { ALIASES, SECRET_KEY_PAIR, VARIABLE_NAMES, type VariableName } from "./variables.ts";

/** Edits (insert, delete, substitute, swap neighbours) tolerated between normalised names. */
const MAX_EDIT_DISTANCE = 2;
/** Supabase's own variables that look like ours (`SUPABASE_DB_URL` ≈ `SUPABASE_URL`) but never stand for them. */
const NOT_OURS = ["SUPABASE_DB_URL", "SUPABASE_ANON_KEY", "SUPABASE_PUBLISHABLE_KEYS", "SUPABASE_JWT_SECRET"];
const NEVER_NEAR_MISSES = new Set<string>([...VARIABLE_NAMES, ...NOT_OURS]);
/** Unknown variables with these prefixes are checked for typos of ours (case-insensitive). */
const OWNED_PREFIXES = ["PLOOMES_", "PLOOME_", "SYNC_"];

/** Case-insensitive, underscores ignored: `Ploomes_ApiKey` → `ploomesapikey`. */
export const normalizeName = (name: string): string => name.toLowerCase().replace(/_/g, "");

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions (`SECERT`). */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: the distance between the first i characters of `a` and the first j of `b`.
  const rows = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    rows.push(row);
    for (let j = 1; j <= b.length; j += 1) {
      const substitute = at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1);
      const swap = a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1] ? at(i - 2, j - 2) + 1 : Infinity;
      row.push(Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, substitute, swap));
    }
  }
  return at(a.length, b.length);
}

/** 0 for an alias or the same name ignoring case, else the edit distance; null when not a near miss. */
export function nearMissScore(candidate: string, name: VariableName): number | null {
  if (NEVER_NEAR_MISSES.has(candidate)) return null;
  if (ALIASES[name].split(" ").includes(candidate.toUpperCase())) return 0;
  const distance = editDistance(normalizeName(candidate), normalizeName(name));
  return distance <= MAX_EDIT_DISTANCE ? distance : null;
}

/** Locale-independent order, so messages are the same on every runtime. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Set variables that look like `name`, closest first (ties alphabetical). */
export function findNearMisses(name: VariableName, setNames: readonly string[]): string[] {
  const score = (candidate: string) => nearMissScore(candidate, name) ?? Infinity;
  return setNames.filter((candidate) => score(candidate) < Infinity)
    .sort((a, b) => score(a) - score(b) || byCodeUnits(a, b));
}

/** Unknown variables of ours that are near misses of one we read, each with the closest (ties: the first read). */
export function findStrayVariables(setNames: readonly string[], skip: ReadonlySet<string>) {
  return [...setNames].sort(byCodeUnits).flatMap((found) => {
    // Others (a `PLOOMES_SIMULATOR_SEED`, say) are none of our business.
    if (skip.has(found) || !OWNED_PREFIXES.some((prefix) => found.toUpperCase().startsWith(prefix))) return [];
    const score = (name: VariableName) => nearMissScore(found, name) ?? Infinity;
    const suggestion = VARIABLE_NAMES.reduce((best, name) => (score(name) < score(best) ? name : best));
    return score(suggestion) < Infinity ? [{ found, suggestion }] : [];
  });
}

/**
 * What the names of the set variables reveal: `renames`, for each variable we read that is unset
 * while similar names are set, a message naming them (for the key pair, only when both are unset);
 * `strays`, a problem for each unknown variable of ours that looks like one we read.
 */
export function nameProblems(values: Readonly<Record<string, string>>) {
  const setNames = Object.keys(values);
  const pairSet = SECRET_KEY_PAIR.some((name) => values[name] !== undefined);
  const renames = new Map<string, string>();
  const similar = new Set<string>();
  for (const name of VARIABLE_NAMES) {
    if (values[name] !== undefined || (pairSet && SECRET_KEY_PAIR.includes(name))) continue;
    const [first, ...others] = findNearMisses(name, setNames);
    if (first === undefined) continue;
    const also = others.length > 0 ? ` (also similar: ${others.join(", ")})` : "";
    const fix = `supabase secrets set ${name}=... (and unset ${first})`;
    renames.set(name, `${name} is not set, but ${first} is — rename it: ${fix}${also}`);
    [first, ...others].forEach((found) => similar.add(found));
  }
  const strays = findStrayVariables(setNames, similar).map(({ found, suggestion }) => ({
    variable: found,
    message: values[suggestion] === undefined
      ? `${found} is set but not used — did you mean ${suggestion}? Rename it: supabase secrets set ${suggestion}=... (and unset ${found})`
      : `${found} is set but not used — did you mean ${suggestion} (which is also set)? Remove it: supabase secrets unset ${found}`,
  }));
  return { renames, strays };
}
