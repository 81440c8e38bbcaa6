// What a doctor check is and how the checks run: one result per check, in a fixed order from the
// bottom of the stack up (database → schema → schedule → delivery → function → ploomes → data),
// so the first failure printed is the one to fix first.
import type pg from "pg";
import type { Target } from "./target.ts";

export const LAYERS = ["database", "schema", "schedule", "delivery", "function", "ploomes", "data"] as const;
export type Layer = (typeof LAYERS)[number];

/** ok / warn (worth a look, exit 0) / fail (exit 1) / skip (the check lacked what it needs). */
export type Status = "ok" | "warn" | "fail" | "skip";

export interface CheckResult {
  /** `<layer>.<name>`, stable: tests and scripts match on it. */
  readonly id: string;
  readonly layer: Layer;
  readonly status: Status;
  /** One line: what was found. */
  readonly summary: string;
  /** For warn and fail: what to run (a command or SQL) to fix it. */
  readonly fix?: string;
}

/** What the checks share: the target, the database (null when unreachable) and facts learned on the way. */
export interface DoctorContext {
  readonly target: Target;
  db: pg.Client | null;
  /** Vault's project_url (no secret), when readable. */
  projectUrl: string | null;
  /** Vault's cron_secret, when readable; never printed. */
  vaultCronSecret: string | null;
  /** The function's answers: without a secret, and to the configuration check with one. */
  functionAnswers: { unauthenticated: FunctionAnswer | null; check: FunctionAnswer | null };
  /** The settings the function reported (its answer to the check), when valid. */
  functionSettings: Record<string, unknown> | null;
  /** Ploomes' statuses for the production query and for the minimal one (null: not asked). */
  ploomesAnswers: { production: number | null; minimal: number | null };
}

export interface FunctionAnswer {
  readonly status: number;
  /** The JSON object it answered, or null for anything else. */
  readonly body: Record<string, unknown> | null;
  readonly text: string;
}

export interface Check {
  readonly id: string;
  readonly run: (context: DoctorContext) => Promise<Omit<CheckResult, "id" | "layer">>;
}

export function layerOf(id: string): Layer {
  const layer = LAYERS.find((name) => id.startsWith(`${name}.`));
  if (!layer) throw new Error(`check id ${id} does not start with a layer (${LAYERS.join(", ")})`);
  return layer;
}

export const ok = (summary: string) => ({ status: "ok" as const, summary });
export const warn = (summary: string, fix: string) => ({ status: "warn" as const, summary, fix });
export const fail = (summary: string, fix: string) => ({ status: "fail" as const, summary, fix });
export const skip = (summary: string) => ({ status: "skip" as const, summary });

/** Runs the checks in order; a check that throws is a failure that names the error, never a crash. */
export function newContext(target: Target): DoctorContext {
  return {
    target,
    db: null,
    projectUrl: null,
    vaultCronSecret: null,
    functionAnswers: { unauthenticated: null, check: null },
    functionSettings: null,
    ploomesAnswers: { production: null, minimal: null },
  };
}

export async function runChecks(checks: readonly Check[], context: DoctorContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const layer = layerOf(check.id);
    try {
      results.push({ id: check.id, layer, ...(await check.run(context)) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.push({
        id: check.id,
        layer,
        status: "fail",
        summary: `the check itself failed: ${message}`,
        fix: "Run npm run doctor again; if it repeats, report it with this line.",
      });
    }
  }
  return results;
}
