// Near-miss detection for environment variable names. A variable we need that is unset while a
// similar name is set (`PLOOME_API_KEY`, `ploomes_api_key`, `CRON_SECERT`, `PLOOMES_USER_KEY`)
// gets a message naming both; an unknown `PLOOMES_*`/`SYNC_*` variable that looks like one of
// ours (`SYNC_TIME_BUDGET_MSS`) is reported instead of being silently ignored.
// "Similar" = same name ignoring case and `_`, or at most 2 edits apart, or a known alias.
// Values are never read here beyond "is it set", so nothing secret can leak into a message.

import { NEVER_NEAR_MISSES, OWNED_PREFIXES, VARIABLE_NAMES, VARIABLES } from "./variables.ts";
import type { VariableName } from "./variables.ts";

/** Edits (insert, delete, substitute, swap neighbours) tolerated between normalised names. */
export const MAX_EDIT_DISTANCE = 2;

/** Case-insensitive, underscores ignored: `Ploomes_ApiKey` → `ploomesapikey`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/_/g, "");
}

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions (`SECERT`). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i += 1) {
    const row: number[] = [];
    for (let j = 0; j <= b.length; j += 1) {
      if (i === 0 || j === 0) {
        row.push(i + j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const above = rows[i - 1]?.[j] ?? Number.POSITIVE_INFINITY;
      const diagonal = rows[i - 1]?.[j - 1] ?? Number.POSITIVE_INFINITY;
      const left = row[j - 1] ?? Number.POSITIVE_INFINITY;
      let best = Math.min(above + 1, left + 1, diagonal + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? Number.POSITIVE_INFINITY) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? Math.max(a.length, b.length);
}

/**
 * How close `candidate` is to the variable `name`: 0 for an alias or a same-name-ignoring-case
 * match, the edit distance when ≤ MAX_EDIT_DISTANCE, otherwise null (not a near miss).
 * Exact names and other variables we know are never near misses.
 */
export function nearMissScore(candidate: string, name: VariableName): number | null {
  if (candidate === name || NEVER_NEAR_MISSES.has(candidate)) return null;
  if ((VARIABLE_NAMES as readonly string[]).includes(candidate)) return null;
  const spec = VARIABLES[name];
  const upper = candidate.toUpperCase();
  if (spec.aliases.includes(upper)) return 0;
  const distance = editDistance(normalizeName(candidate), normalizeName(name));
  return distance <= MAX_EDIT_DISTANCE ? distance : null;
}

/** Set variables that look like `name`, closest first (ties alphabetical). */
export function findNearMisses(name: VariableName, setNames: readonly string[]): string[] {
  return setNames
    .flatMap((candidate) => {
      const score = nearMissScore(candidate, name);
      return score === null ? [] : [{ candidate, score }];
    })
    .sort((a, b) => a.score - b.score || byCodeUnits(a.candidate, b.candidate))
    .map(({ candidate }) => candidate);
}

/** `X is not set, but Y is — rename it: …` (the message the predecessor never gave). */
export function renameMessage(name: VariableName, found: readonly string[]): string {
  const [first, ...others] = found;
  const also = others.length > 0 ? ` (also similar: ${others.join(", ")})` : "";
  return (
    `${name} is not set, but ${first ?? "a similar variable"} is — rename it: ` +
    `supabase secrets set ${name}=... (and unset ${first ?? "the old one"})${also}`
  );
}

export interface StrayVariable {
  /** The unknown variable that is set. */
  readonly found: string;
  /** The variable it most likely meant. */
  readonly suggestion: VariableName;
}

/**
 * Unknown variables with one of our prefixes that are near misses of a variable we read.
 * Others (a `PLOOMES_SIMULATOR_SEED`, say) are none of our business and are ignored.
 */
export function findStrayVariables(setNames: readonly string[], skip: ReadonlySet<string>): StrayVariable[] {
  const strays: StrayVariable[] = [];
  for (const found of setNames) {
    if (skip.has(found) || (VARIABLE_NAMES as readonly string[]).includes(found)) continue;
    const upper = found.toUpperCase();
    if (!OWNED_PREFIXES.some((prefix) => upper.startsWith(prefix))) continue;
    let best: { name: VariableName; score: number } | null = null;
    for (const name of VARIABLE_NAMES) {
      const score = nearMissScore(found, name);
      if (score !== null && (best === null || score < best.score)) best = { name, score };
    }
    if (best !== null) strays.push({ found, suggestion: best.name });
  }
  return strays.sort((a, b) => byCodeUnits(a.found, b.found));
}

/** Locale-independent order, so messages are the same on every runtime. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function strayMessage(stray: StrayVariable, suggestionIsSet: boolean): string {
  const { found, suggestion } = stray;
  return suggestionIsSet
    ? `${found} is set but not used — did you mean ${suggestion} (which is also set)? ` +
      `Remove it: supabase secrets unset ${found}`
    : `${found} is set but not used — did you mean ${suggestion}? ` +
      `Rename it: supabase secrets set ${suggestion}=... (and unset ${found})`;
}
