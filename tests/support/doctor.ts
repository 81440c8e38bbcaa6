// Runs `npm run doctor` the way a user does (a child process, its JSON report parsed), with the
// environment a test chooses: the doctor's variables are taken from `env` only, never inherited.
import { execFile } from "node:child_process";
import { binPath, PROJECT_ROOT } from "../../local/stack/paths.ts";
import type { CheckResult } from "../../scripts/doctor/check.ts";
import type { Report } from "../../scripts/doctor/report.ts";

/** The doctor's own variables; a test's shell must not leak one into a run. */
const DOCTOR_VARIABLES = ["SUPABASE_DB_URL", "SUPABASE_URL", "CRON_SECRET", "PLOOMES_API_KEY", "PLOOMES_BASE_URL"];
/** A run makes a handful of local requests; this is far above it. */
const DOCTOR_TIMEOUT_MS = 90_000;

export interface DoctorRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runDoctor(args: readonly string[], env: Record<string, string> = {}): Promise<DoctorRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !DOCTOR_VARIABLES.includes(name)));
  return new Promise((resolve, reject) => {
    execFile(
      binPath("tsx"),
      ["scripts/doctor.ts", ...args],
      { cwd: PROJECT_ROOT, env: { ...base, ...env }, timeout: DOCTOR_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        if (code === null) reject(new Error(`npm run doctor did not finish: ${error?.message}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface DoctorReport {
  readonly code: number;
  readonly report: Report;
  check(id: string): CheckResult;
  /** Ids of the checks with this status, in report order. */
  withStatus(status: CheckResult["status"]): string[];
}

export async function doctorReport(env: Record<string, string> = {}): Promise<DoctorReport> {
  const run = await runDoctor(["--json"], env);
  let report: Report;
  try {
    report = JSON.parse(run.stdout) as Report;
  } catch {
    throw new Error(`npm run doctor -- --json printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return {
    code: run.code,
    report,
    check(id) {
      const found = report.checks.find((c) => c.id === id);
      if (!found) throw new Error(`the report has no check ${id}: ${report.checks.map((c) => c.id).join(", ")}`);
      return found;
    },
    withStatus: (status) => report.checks.filter((c) => c.status === status).map((c) => c.id),
  };
}
