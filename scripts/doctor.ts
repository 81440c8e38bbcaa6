// `npm run doctor`: why is my dashboard stale? Checks the project from the bottom up — database,
// schema, schedule, delivery, function, Ploomes, data — one line each with the fix, and exits 1
// when any check fails. The local stack by default; a hosted project with SUPABASE_DB_URL (plus,
// when set, SUPABASE_URL, CRON_SECRET, PLOOMES_API_KEY, PLOOMES_BASE_URL). `--json` for machines.
// It reads and asks, never changes anything, and never prints a secret.
import { type Check, newContext, runChecks } from "./doctor/check.ts";
import { DATABASE_CHECKS } from "./doctor/database-checks.ts";
import { DATA_CHECKS } from "./doctor/data-checks.ts";
import { DELIVERY_CHECKS } from "./doctor/delivery-checks.ts";
import { FUNCTION_CHECKS } from "./doctor/function-checks.ts";
import { PLOOMES_CHECKS } from "./doctor/ploomes-checks.ts";
import { buildReport, formatJson, formatText, scrubSecrets } from "./doctor/report.ts";
import { SCHEDULE_CHECKS } from "./doctor/schedule-checks.ts";
import { SCHEMA_CHECKS } from "./doctor/schema-checks.ts";
import { resolveTarget } from "./doctor/target.ts";

const CHECKS: readonly Check[] = [
  ...DATABASE_CHECKS,
  ...SCHEMA_CHECKS,
  ...SCHEDULE_CHECKS,
  ...DELIVERY_CHECKS,
  ...FUNCTION_CHECKS,
  ...PLOOMES_CHECKS,
  ...DATA_CHECKS,
];

const USAGE = "usage: npm run doctor [-- --json]";

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== "--json");
  if (unknown.length > 0) {
    process.stderr.write(`npm run doctor: unknown argument ${unknown.join(" ")}\n${USAGE}\n`);
    return 2;
  }
  const target = resolveTarget(process.env);
  const context = newContext(target);
  try {
    const report = buildReport(target, await runChecks(CHECKS, context));
    const text = args.includes("--json") ? formatJson(report) : formatText(report);
    process.stdout.write(scrubSecrets(text, [...target.secrets, context.vaultCronSecret ?? ""]));
    return report.ok ? 0 : 1;
  } finally {
    await context.db?.end().catch(() => undefined);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm run doctor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
