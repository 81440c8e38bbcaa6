// PostgREST's mapping from a Postgres error to an HTTP status and body ({code, message, details,
// hint}), so supabase-js sees the same `error` object here as against a hosted project.
import type { ApiRole } from "./auth.ts";

export interface PostgrestErrorBody {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

export interface DatabaseErrorLike {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** Status for a SQLSTATE, following PostgREST's documented table (errors.html#sqlstate). */
export function statusForSqlState(code: string, role: ApiRole): number {
  // RAISE ... USING ERRCODE = 'PT409' sets the HTTP status directly, as in PostgREST.
  const custom = /^PT(\d{3})$/.exec(code);
  if (custom?.[1]) return Number(custom[1]);
  const exact: Record<string, number> = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "P0001": 400,
    "42883": 404,
    "42P01": 404,
    "42P17": 500,
  };
  if (code === "42501") return role === "anon" ? 401 : 403;
  const known = exact[code];
  if (known !== undefined) return known;
  const byClass: Record<string, number> = {
    "08": 503,
    "09": 500,
    "0L": 403,
    "0P": 403,
    "25": 500,
    "28": 403,
    "2D": 500,
    "38": 500,
    "39": 500,
    "3B": 500,
    "40": 500,
    "53": 503,
    "54": 500,
    "55": 500,
    "57": 500,
    "58": 500,
    F0: 500,
    HV: 500,
    P0: 500,
    XX: 500,
  };
  return byClass[code.slice(0, 2)] ?? 400;
}

export function postgrestErrorFrom(
  error: DatabaseErrorLike,
  role: ApiRole,
): { status: number; body: PostgrestErrorBody } {
  const code = error.code ?? "XX000";
  return {
    status: statusForSqlState(code, role),
    body: { code, message: error.message, details: error.detail ?? null, hint: error.hint ?? null },
  };
}
