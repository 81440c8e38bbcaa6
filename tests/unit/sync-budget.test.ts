import { describe, expect, it } from "vitest";
import {
  type Budget,
  createBudget,
  pageDeadline,
  recordPage,
  stopReason,
} from "../../supabase/functions/_shared/sync/budget.ts";
import { createFakeWorker, type FakeWorker } from "./sync-fakes.ts";

/** A budget whose worker started with the invocation (so the worker's 140 s do not bind), CPU 0. */
function budgetAt(
  startedAtMs: number,
  budgetMs: number,
  requestTimeoutMs: number,
  worker: FakeWorker = createFakeWorker(startedAtMs),
): Budget {
  return createBudget({
    startedAtMs,
    budgetMs,
    requestTimeoutMs,
    worker,
    cpuBudgetMs: 800,
    maxPagesWithoutCpuClock: 40,
  });
}
const shouldFetchNextPage = (budget: Budget, nowMs: number): boolean => stopReason(budget, nowMs) === null;

// Numbers below are worked out by hand from the rule:
//   later page allowed ⇔ now + max(slowest × 1.5, 50) ≤ startedAt + budget.

describe("createBudget / recordPage", () => {
  it("starts with no pages and a deadline of start + budget", () => {
    const budget = budgetAt(1_000, 5_000, 30_000);
    expect({ ...budget, worker: undefined }).toEqual({
      startedAtMs: 1_000,
      cpuAtStartMs: 0,
      deadlineMs: 6_000,
      workerEndMs: 141_000, // 1 000 + 150 000 − 10 000
      requestTimeoutMs: 30_000,
      worker: undefined,
      cpuBudgetMs: 800,
      maxPagesWithoutCpuClock: 40,
      slowestPageMs: 0,
      costliestPageCpuMs: 0,
      pagesDone: 0,
    });
  });

  it("counts pages and keeps the slowest duration", () => {
    const budget = budgetAt(0, 1_000, 30_000);
    recordPage(budget, 200, null);
    recordPage(budget, 100, null);
    expect(budget.slowestPageMs).toBe(200);
    expect(budget.pagesDone).toBe(2);
    recordPage(budget, 300, null);
    expect(budget.slowestPageMs).toBe(300);
    expect(budget.pagesDone).toBe(3);
  });
});

describe("shouldFetchNextPage", () => {
  it("always allows the first page, even long after the deadline", () => {
    const budget = budgetAt(0, 1_000, 30_000);
    expect(shouldFetchNextPage(budget, 0)).toBe(true);
    expect(shouldFetchNextPage(budget, 1_000)).toBe(true);
    expect(shouldFetchNextPage(budget, 1_000_000)).toBe(true);
  });

  it("allows a later page while now + slowest × 1.5 fits, the deadline itself included", () => {
    const budget = budgetAt(0, 1_000, 30_000);
    recordPage(budget, 400, null); // estimate 600
    expect(shouldFetchNextPage(budget, 399)).toBe(true);
    expect(shouldFetchNextPage(budget, 400)).toBe(true); // 400 + 600 = 1000
    expect(shouldFetchNextPage(budget, 401)).toBe(false); // 1001
  });

  it("uses the slowest page, not the latest one", () => {
    const budget = budgetAt(0, 1_000, 30_000);
    recordPage(budget, 400, null);
    recordPage(budget, 10, null); // estimate stays 600
    expect(shouldFetchNextPage(budget, 400)).toBe(true);
    expect(shouldFetchNextPage(budget, 401)).toBe(false);
  });

  it("never estimates a page below 50 ms", () => {
    const budget = budgetAt(0, 1_000, 30_000);
    recordPage(budget, 10, null); // 15 → 50
    expect(shouldFetchNextPage(budget, 950)).toBe(true);
    expect(shouldFetchNextPage(budget, 951)).toBe(false);
  });

  it("treats a zero-length page as 50 ms", () => {
    const budget = budgetAt(0, 1_000, 30_000);
    recordPage(budget, 0, null);
    expect(shouldFetchNextPage(budget, 950)).toBe(true);
    expect(shouldFetchNextPage(budget, 951)).toBe(false);
  });

  it("switches from the 50 ms floor to the margin just above 33⅓ ms", () => {
    const floor = budgetAt(0, 1_000, 30_000);
    recordPage(floor, 33, null); // 49.5 → 50
    expect(shouldFetchNextPage(floor, 950)).toBe(true);
    expect(shouldFetchNextPage(floor, 951)).toBe(false);

    const margin = budgetAt(0, 1_000, 30_000);
    recordPage(margin, 34, null); // 51
    expect(shouldFetchNextPage(margin, 949)).toBe(true);
    expect(shouldFetchNextPage(margin, 950)).toBe(false);
  });

  it("measures against start + budget, not against zero", () => {
    const budget = budgetAt(10_000, 2_000, 30_000); // deadline 12 000
    recordPage(budget, 100, null); // estimate 150
    expect(shouldFetchNextPage(budget, 11_850)).toBe(true);
    expect(shouldFetchNextPage(budget, 11_851)).toBe(false);
  });
});

describe("pageDeadline", () => {
  it("gives the first page at least one full request timeout", () => {
    const budget = budgetAt(0, 1_000, 30_000);
    expect(pageDeadline(budget, 0)).toBe(30_000);
    expect(pageDeadline(budget, 5_000)).toBe(35_000);
  });

  it("gives the first page the budget's deadline when that is later", () => {
    const budget = budgetAt(0, 120_000, 30_000);
    expect(pageDeadline(budget, 10)).toBe(120_000);
    expect(pageDeadline(budget, 90_000)).toBe(120_000);
    expect(pageDeadline(budget, 90_001)).toBe(120_001);
  });

  it("gives later pages exactly the budget's deadline, even when it has passed", () => {
    const budget = budgetAt(0, 1_000, 30_000);
    recordPage(budget, 100, null);
    expect(pageDeadline(budget, 200)).toBe(1_000);
    expect(pageDeadline(budget, 5_000)).toBe(1_000);
  });
});

describe("the worker's wall clock", () => {
  it("a request on an old worker gets the worker's remaining life (less 10 s), not the full budget", () => {
    // The worker started 75 s before the request: it is stopped at 150 s, so 150 − 75 − 10 = 65 s remain.
    const worker = createFakeWorker(0);
    const budget = budgetAt(75_000, 120_000, 30_000, worker);
    expect(budget.deadlineMs).toBe(140_000);
    recordPage(budget, 1_000, null); // estimate 1 500
    expect(shouldFetchNextPage(budget, 138_500)).toBe(true);
    expect(stopReason(budget, 138_501)).toBe("time");
  });

  it("the first page's grace never passes the worker's end", () => {
    const budget = budgetAt(130_000, 120_000, 30_000, createFakeWorker(0)); // worker end 140 000
    expect(pageDeadline(budget, 130_000)).toBe(140_000);
  });
});

describe("the CPU budget", () => {
  it("stops before the worker's CPU would pass the budget, by the costliest page × 1.5", () => {
    const worker = createFakeWorker(0);
    const budget = budgetAt(0, 120_000, 30_000, worker);
    recordPage(budget, 100, 20); // CPU estimate 30
    worker.burn(770);
    expect(shouldFetchNextPage(budget, 200)).toBe(true); // 770 + 30 = 800
    worker.burn(1);
    expect(stopReason(budget, 200)).toBe("cpu"); // 801
  });

  it("counts this invocation's CPU against the budget, and the worker's total against the 1 700 ms ceiling", () => {
    const worker = createFakeWorker(0);
    worker.burn(900); // earlier invocations on the same worker
    const budget = budgetAt(50_000, 120_000, 30_000, worker);
    expect(budget.cpuAtStartMs).toBe(900);
    recordPage(budget, 100, 12); // CPU estimate 18
    worker.burn(682); // this invocation: 682; worker 1 582
    expect(shouldFetchNextPage(budget, 50_200)).toBe(true); // 682 + 18 ≤ 800; 1 582 + 18 ≤ 1 700
    worker.burn(101); // this invocation: 783; worker 1 683
    expect(stopReason(budget, 50_200)).toBe("cpu"); // 1 683 + 18 > 1 700 (and 783 + 18 > 800)
  });

  it("without a CPU clock, caps pages per invocation instead", () => {
    const budget = budgetAt(0, 120_000, 30_000, createFakeWorker(0, false));
    for (let page = 0; page < 39; page += 1) recordPage(budget, 10, null);
    expect(shouldFetchNextPage(budget, 1_000)).toBe(true);
    recordPage(budget, 10, null);
    expect(stopReason(budget, 1_000)).toBe("pages");
  });
});
