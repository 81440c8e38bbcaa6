// runSync within the Edge Runtime's per-worker limits: the CPU budget (SYNC_CPU_BUDGET_MS, counted
// over the worker's life, not the request's), the page cap without a CPU clock, and the worker's
// wall clock. The fake worker's CPU moves only by what each fake Ploomes request "costs".
import { describe, expect, it } from "vitest";
import type { Env } from "../../supabase/functions/_shared/config/config.ts";
import { createFakeWorker, deals, page, passEnd, T0 } from "./sync-fakes.ts";
import type { PageStep } from "./sync-fakes.ts";
import { RUN_ID, setup } from "./sync-runner-setup.ts";

const fullPages = (count: number): PageStep[] =>
  Array.from({ length: count }, (_, index) => page(deals(2 * index + 1, 2 * index + 2)));
const SMALL_PAGES: Env = { PLOOMES_PAGE_SIZE: "2", SYNC_CPU_BUDGET_MS: "100" };

describe("runSync: CPU budget", () => {
  it("ends partial before the worker's CPU would pass SYNC_CPU_BUDGET_MS", async () => {
    // 20 ms of CPU per page, estimate 30: after page 3 the worker has used 60 (60 + 30 ≤ 100, go
    // on); after page 4, 80 (80 + 30 > 100) → stop after 4 pages.
    const { db, ploomes, run, events } = setup({ env: SMALL_PAGES, steps: fullPages(10), cpuPerRequestMs: 20 });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(4);
    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestPage", "ingestPage", "ingestPage", "endPartial"]);
    expect(outcome.body).toMatchObject({ status: "partial", cpuMs: 80 });
    expect(String(outcome.body["stoppedBy"])).toMatch(/^CPU budget \(SYNC_CPU_BUDGET_MS/);
    expect(events).toContainEqual(
      expect.objectContaining({ event: "run-partial", runId: RUN_ID, pages: 4, cpuMs: 80 }),
    );
  });

  it("budgets this invocation's CPU: what earlier invocations used on the worker does not count", async () => {
    const worker = createFakeWorker(T0);
    worker.burn(500); // a previous request on this worker (under the runtime's 1 s, or it would be retired)
    const { ploomes, run } = setup({ env: SMALL_PAGES, steps: fullPages(10), cpuPerRequestMs: 20, worker });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(4); // as on a fresh worker
    expect(outcome.body).toMatchObject({ status: "partial", cpuMs: 80 });
  });

  it("keeps the worker's total clear of the runtime's 2 s kill (less 300 ms)", async () => {
    const worker = createFakeWorker(T0);
    worker.burn(1_600);
    // Default budget 800 would allow 40 pages; the worker's ceiling 1 700 allows: page 1 always
    // (1 620); page 2 (1 620 + 30 ≤ 1 700 → 1 640); page 3 (1 670 ≤ 1 700 → 1 660); page 4
    // (1 690 ≤ 1 700 → 1 680); then 1 680 + 30 > 1 700 → stop after 4.
    const { ploomes, run } = setup({
      env: { PLOOMES_PAGE_SIZE: "2" },
      steps: fullPages(50),
      cpuPerRequestMs: 20,
      worker,
    });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(4);
    expect(String(outcome.body["stoppedBy"])).toContain("2 s per worker");
  });

  it("finishes a pass that fits the CPU budget", async () => {
    const { db, run } = setup({ env: SMALL_PAGES, steps: [...fullPages(2), ...passEnd()], cpuPerRequestMs: 10 });
    const outcome = await run();
    expect(db.fns()).toEqual(["claim", "ingestPage", "ingestPage", "finishPass"]);
    expect(outcome.body).toMatchObject({ status: "succeeded", cpuMs: 40 });
  });

  it("without a CPU clock, stops after 40 pages and says so", async () => {
    const worker = createFakeWorker(T0, false);
    const { ploomes, run } = setup({ env: { PLOOMES_PAGE_SIZE: "2" }, steps: fullPages(50), worker });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(40);
    expect(outcome.body["status"]).toBe("partial");
    expect(outcome.body).not.toHaveProperty("cpuMs");
    expect(String(outcome.body["stoppedBy"])).toContain("page cap without a CPU clock (40 pages)");
  });
});

describe("runSync: the worker's wall clock", () => {
  it("a request on a worker 75 s old stops by the worker's end (150 − 10 s), not by its own 120 s budget", async () => {
    // The worker started 75 s before the request: its deadline is T0 + 65 s. 10 s pages,
    // estimate 15 s: page 5 starts at 40 s (55 ≤ 65); page 6 would start at 50 s (65 ≤ 65);
    // page 7 at 60 s (75 > 65) → 6 pages. At 5 requests/min a 10 s answer needs one range
    // (⌈(10 000 + 250) × 5 / 60 000⌉ = ⌈0.85⌉ = 1): a sequential walk, no highest-Id request.
    const worker = createFakeWorker(T0 - 75_000);
    const env: Env = { PLOOMES_PAGE_SIZE: "2", PLOOMES_REQUESTS_PER_MINUTE: "5" };
    const { ploomes, run } = setup({ env, steps: fullPages(20), msPerRequest: 10_000, worker });
    const outcome = await run();
    expect(ploomes.requests).toHaveLength(6);
    expect(outcome.body["status"]).toBe("partial");
    expect(String(outcome.body["stoppedBy"])).toContain("the worker's remaining wall clock");
  });
});
