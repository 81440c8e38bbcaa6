// The command-line summary of one function call: a run, or a refusal before any run started.
import { describe, expect, it } from "vitest";
import { formatSummary } from "../../scripts/lib/summary.ts";

describe("formatSummary", () => {
  it("shows a refusal before a run (a function that failed to boot) as its code and message only", () => {
    const body = { code: "BOOT_ERROR", message: "Function f failed to start: Deno exited (code 1)" };
    expect(formatSummary(body)).toBe(
      "no run was started (BOOT_ERROR)\n  message: Function f failed to start: Deno exited (code 1)",
    );
  });

  it("shows the function's own refusal with its hint", () => {
    expect(formatSummary({ error: "PLOOMES_API_KEY is not set", hint: "set it" })).toBe(
      "no run was started\n  error: PLOOMES_API_KEY is not set\n  hint: set it",
    );
  });

  it("shows a run by its id, status and counts", () => {
    const text = formatSummary({ runId: 7, status: "succeeded", mode: "full", durationMs: 2500, pages: 3 });
    expect(text.split("\n")[0]).toBe("run 7: succeeded (full pass) in 2.5 s");
    expect(text).toContain("Ploomes: 3 pages, 0 requests");
  });
});
