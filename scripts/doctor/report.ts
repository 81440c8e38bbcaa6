// The doctor's output: one line per check (and its fix under a warning or failure) for people,
// or one JSON document for machines. Every known secret is scrubbed from both, whatever a check
// quoted (a database error, a function's answer).
import type { CheckResult, Status } from "./check.ts";
import type { Target } from "./target.ts";

/** Shorter values (e.g. the local password "postgres") are words, not secrets worth scrubbing. */
const MIN_SCRUBBED_LENGTH = 12;
const SCRUBBED = "[secret]";
const ID_WIDTH = 22;
const LABELS: Record<Status, string> = { ok: "ok  ", warn: "WARN", fail: "FAIL", skip: "skip" };

export interface Report {
  readonly target: Target["kind"];
  readonly database: string;
  readonly ok: boolean;
  readonly counts: Record<Status, number>;
  readonly checks: readonly CheckResult[];
}

export function buildReport(target: Target, checks: readonly CheckResult[]): Report {
  const counts: Record<Status, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const check of checks) counts[check.status] += 1;
  return { target: target.kind, database: target.dbLabel, ok: counts.fail === 0, counts, checks };
}

export function formatText(report: Report): string {
  const lines = [`sync-customer-sales doctor: ${report.target === "local" ? "local stack" : "hosted project"}`];
  for (const check of report.checks) {
    lines.push(`${LABELS[check.status]}  ${check.id.padEnd(ID_WIDTH)} ${check.summary}`);
    if (check.fix && (check.status === "fail" || check.status === "warn")) {
      lines.push(`${" ".repeat(LABELS.ok.length + 2 + ID_WIDTH)} fix: ${check.fix}`);
    }
  }
  const { ok, warn, fail, skip } = report.counts;
  lines.push(`${ok} ok, ${warn} warning(s), ${fail} failure(s), ${skip} skipped`);
  return `${lines.join("\n")}\n`;
}

export function formatJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  return secrets
    .filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH)
    .reduce((scrubbed, secret) => scrubbed.split(secret).join(SCRUBBED), text);
}
