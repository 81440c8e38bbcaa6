// `npm test`: everything that must pass, against real parts. Brings the local stack up if needed,
// then runs, in order: tsc, deno check of every function, the Supabase CLI's lint and advisors on the
// local database, pgTAP through pg_prove, and the vitest projects (unit + simulator in parallel;
// integration, e2e and doctor one after the other, since they share the database). Every step runs even
// if an earlier one failed, and the last line sums up tests and checks.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { denoNetworkEnv } from "../local/gateway/deno-network-env.ts";
import { psql } from "../local/stack/database.ts";
import { binPath, DB_URL, FUNCTIONS_DIR, LOCAL_DIR, MATRIX_SUMMARY_FILE, PROJECT_ROOT } from "../local/stack/paths.ts";
import { stackUp } from "../local/stack/stack.ts";

interface StepResult {
  name: string;
  ok: boolean;
  passed: number;
  failed: number;
}

const results: StepResult[] = [];

/** Runs one step, streaming its output live (CI logs show progress) while keeping it for counting. */
async function step(
  name: string,
  cmd: string,
  args: string[],
  count?: (output: string, ok: boolean) => { passed: number; failed: number },
): Promise<void> {
  process.stdout.write(`\n▶ ${name}\n`);
  const child = spawn(cmd, args, {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...denoNetworkEnv(), PGPASSWORD: "postgres" },
  });
  let output = "";
  const keep = (chunk: Buffer, to: NodeJS.WriteStream) => {
    output += chunk.toString("utf8");
    to.write(chunk);
  };
  child.stdout.on("data", (chunk: Buffer) => keep(chunk, process.stdout));
  child.stderr.on("data", (chunk: Buffer) => keep(chunk, process.stderr));
  const status = await new Promise<number | string>((resolve) => {
    child.once("error", (error) => resolve(error.message));
    child.once("close", (code) => resolve(code ?? -1));
  });
  const ok = status === 0;
  const counted = count ? count(output, ok) : { passed: ok ? 1 : 0, failed: ok ? 0 : 1 };
  results.push({ name, ok, ...counted });
  if (!ok) process.stdout.write(`✗ ${name} failed (exit ${status})\n`);
}

function vitestStep(name: string, projects: string[]): Promise<void> {
  const report = join(LOCAL_DIR, `vitest-${name}.json`);
  const args = [
    "run",
    ...projects.flatMap((p) => ["--project", p]),
    "--passWithNoTests",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
  ];
  return step(`vitest ${projects.join(" + ")}`, binPath("vitest"), args, (_output, ok) => {
    if (!existsSync(report)) return { passed: 0, failed: 1 };
    const json = JSON.parse(readFileSync(report, "utf8")) as {
      numPassedTests: number;
      numFailedTests: number;
      numTotalTestSuites: number;
    };
    return { passed: json.numPassedTests, failed: json.numFailedTests + (ok ? 0 : json.numFailedTests === 0 ? 1 : 0) };
  });
}

function pgProveCounts(output: string, ok: boolean): { passed: number; failed: number } {
  const total = Number(/Tests=(\d+)/.exec(output)?.[1] ?? "0");
  const failedSubtests = [...output.matchAll(/Failed (\d+)\/\d+ subtests/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  const failed = ok ? 0 : Math.max(failedSubtests, 1);
  return { passed: total - failedSubtests, failed };
}

/** The bad-input matrix's line: cases run, converged to mirror = source, rows lost on the way. */
function matrixSummary(): string {
  if (!existsSync(MATRIX_SUMMARY_FILE)) return "bad-input matrix: did not run";
  const m = JSON.parse(readFileSync(MATRIX_SUMMARY_FILE, "utf8")) as {
    cases: number;
    converged: number;
    rowsLost: number;
    total: number;
  };
  return `bad-input matrix: ${m.total} cases, ${m.converged} converged, ${m.rowsLost} rows lost`;
}

async function main(): Promise<void> {
  mkdirSync(LOCAL_DIR, { recursive: true });
  process.stdout.write("▶ local stack\n");
  // Also pre-creates pgTAP and plpgsql_check in `extensions` as the superuser (local/compat/15_extensions.sql):
  // every step below runs as postgres, which — as on hosted Supabase — is not a superuser.
  await stackUp();

  const functionEntries = readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("_") && existsSync(join(FUNCTIONS_DIR, d.name, "index.ts")))
    .map((d) => join(FUNCTIONS_DIR, d.name, "index.ts"));
  await step("typecheck (tsc --noEmit)", binPath("tsc"), ["--noEmit"]);
  // One formatter and one linter for the whole TypeScript tree (settings: deno.json at the root).
  await step("format (deno fmt --check)", binPath("deno"), ["fmt", "--check"]);
  await step("lint (deno lint)", binPath("deno"), ["lint"]);
  for (const entry of functionEntries) {
    const config = join(entry, "..", "deno.json");
    await step(`deno check ${entry.slice(PROJECT_ROOT.length + 1)}`, binPath("deno"), [
      "check",
      ...(existsSync(config) ? ["--config", config] : []),
      entry,
    ]);
  }
  const schemas = ["public", "ploomes_sync"].filter((s) =>
    psql(["-At", "-c", `select 1 from pg_namespace where nspname = '${s}'`]).trim() === "1"
  );
  await step("supabase db lint", binPath("supabase"), [
    "db",
    "lint",
    "--db-url",
    DB_URL,
    "--schema",
    schemas.join(","),
    "--level",
    "warning",
    "--fail-on",
    "error",
  ]);
  await step("supabase db advisors", binPath("supabase"), [
    "db",
    "advisors",
    "--db-url",
    DB_URL,
    "--type",
    "all",
    "--fail-on",
    "warn",
  ]);
  const sqlTests = readdirSync(join(PROJECT_ROOT, "supabase", "tests")).filter((f) => f.endsWith(".test.sql")).sort();
  await step(
    "pgTAP (pg_prove)",
    "pg_prove",
    ["-d", DB_URL, ...sqlTests.map((f) => join("supabase", "tests", f))],
    pgProveCounts,
  );
  await vitestStep("fast", ["unit", "simulator"]);
  rmSync(MATRIX_SUMMARY_FILE, { force: true });
  await vitestStep("integration", ["integration"]);
  const matrix = matrixSummary();
  await vitestStep("e2e", ["e2e"]);
  await vitestStep("doctor", ["doctor"]);

  const passed = results.reduce((sum, r) => sum + r.passed, 0);
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  process.stdout.write("\nSummary\n");
  for (const r of results) {
    process.stdout.write(`  ${r.ok ? "✓" : "✗"} ${r.name} (${r.passed} passed, ${r.failed} failed)\n`);
  }
  process.stdout.write(`${matrix}\n`);
  process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm test: ${(error as Error).message}\n`);
  process.stdout.write("tests: 0 passed, 1 failed\n");
  process.exit(1);
});
