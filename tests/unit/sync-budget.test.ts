import { describe, expect, it } from "vitest";
import {
  createBudget,
  pageDeadline,
  recordPage,
  shouldFetchNextPage,
} from "../../supabase/functions/_shared/sync/budget.ts";

// Numbers below are worked out by hand from the rule:
//   later page allowed ⇔ now + max(slowest × 1.5, 50) ≤ startedAt + budget.

describe("createBudget / recordPage", () => {
  it("starts with no pages and a deadline of start + budget", () => {
    expect(createBudget(1_000, 5_000, 30_000)).toEqual({
      startedAtMs: 1_000,
      deadlineMs: 6_000,
      requestTimeoutMs: 30_000,
      slowestPageMs: 0,
      pagesDone: 0,
    });
  });

  it("counts pages and keeps the slowest duration", () => {
    const budget = createBudget(0, 1_000, 30_000);
    recordPage(budget, 200);
    recordPage(budget, 100);
    expect(budget.slowestPageMs).toBe(200);
    expect(budget.pagesDone).toBe(2);
    recordPage(budget, 300);
    expect(budget.slowestPageMs).toBe(300);
    expect(budget.pagesDone).toBe(3);
  });
});

describe("shouldFetchNextPage", () => {
  it("always allows the first page, even long after the deadline", () => {
    const budget = createBudget(0, 1_000, 30_000);
    expect(shouldFetchNextPage(budget, 0)).toBe(true);
    expect(shouldFetchNextPage(budget, 1_000)).toBe(true);
    expect(shouldFetchNextPage(budget, 1_000_000)).toBe(true);
  });

  it("allows a later page while now + slowest × 1.5 fits, the deadline itself included", () => {
    const budget = createBudget(0, 1_000, 30_000);
    recordPage(budget, 400); // estimate 600
    expect(shouldFetchNextPage(budget, 399)).toBe(true);
    expect(shouldFetchNextPage(budget, 400)).toBe(true); // 400 + 600 = 1000
    expect(shouldFetchNextPage(budget, 401)).toBe(false); // 1001
  });

  it("uses the slowest page, not the latest one", () => {
    const budget = createBudget(0, 1_000, 30_000);
    recordPage(budget, 400);
    recordPage(budget, 10); // estimate stays 600
    expect(shouldFetchNextPage(budget, 400)).toBe(true);
    expect(shouldFetchNextPage(budget, 401)).toBe(false);
  });

  it("never estimates a page below 50 ms", () => {
    const budget = createBudget(0, 1_000, 30_000);
    recordPage(budget, 10); // 15 → 50
    expect(shouldFetchNextPage(budget, 950)).toBe(true);
    expect(shouldFetchNextPage(budget, 951)).toBe(false);
  });

  it("treats a zero-length page as 50 ms", () => {
    const budget = createBudget(0, 1_000, 30_000);
    recordPage(budget, 0);
    expect(shouldFetchNextPage(budget, 950)).toBe(true);
    expect(shouldFetchNextPage(budget, 951)).toBe(false);
  });

  it("switches from the 50 ms floor to the margin just above 33⅓ ms", () => {
    const floor = createBudget(0, 1_000, 30_000);
    recordPage(floor, 33); // 49.5 → 50
    expect(shouldFetchNextPage(floor, 950)).toBe(true);
    expect(shouldFetchNextPage(floor, 951)).toBe(false);

    const margin = createBudget(0, 1_000, 30_000);
    recordPage(margin, 34); // 51
    expect(shouldFetchNextPage(margin, 949)).toBe(true);
    expect(shouldFetchNextPage(margin, 950)).toBe(false);
  });

  it("measures against start + budget, not against zero", () => {
    const budget = createBudget(10_000, 2_000, 30_000); // deadline 12 000
    recordPage(budget, 100); // estimate 150
    expect(shouldFetchNextPage(budget, 11_850)).toBe(true);
    expect(shouldFetchNextPage(budget, 11_851)).toBe(false);
  });
});

describe("pageDeadline", () => {
  it("gives the first page at least one full request timeout", () => {
    const budget = createBudget(0, 1_000, 30_000);
    expect(pageDeadline(budget, 0)).toBe(30_000);
    expect(pageDeadline(budget, 5_000)).toBe(35_000);
  });

  it("gives the first page the budget's deadline when that is later", () => {
    const budget = createBudget(0, 120_000, 30_000);
    expect(pageDeadline(budget, 10)).toBe(120_000);
    expect(pageDeadline(budget, 90_000)).toBe(120_000);
    expect(pageDeadline(budget, 90_001)).toBe(120_001);
  });

  it("gives later pages exactly the budget's deadline, even when it has passed", () => {
    const budget = createBudget(0, 1_000, 30_000);
    recordPage(budget, 100);
    expect(pageDeadline(budget, 200)).toBe(1_000);
    expect(pageDeadline(budget, 5_000)).toBe(1_000);
  });
});
