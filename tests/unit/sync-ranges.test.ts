// The Id ranges of a full pass (pure): how many the latency pays for, where they are cut, and
// which stored positions are accepted. Every expected figure is worked out by hand in a comment.
import { describe, expect, it } from "vitest";
import {
  cutRanges,
  parseRangesPosition,
  rangesForLatency,
  rangeStart,
  withRange,
} from "../../supabase/functions/_shared/sync/ranges.ts";

describe("rangesForLatency: ⌈(latency + 250 ms) × rate / 60 000⌉, within 1..8", () => {
  it.each([
    // [latency ms, requests/min, ranges, (latency + 250) × rate / 60 000]
    [0, 90, 1, "250 × 90 / 60 000 = 0.375"],
    [416, 90, 1, "666 × 90 / 60 000 = 0.999"],
    [417, 90, 2, "667 × 90 / 60 000 = 1.0005"],
    [500, 90, 2, "750 × 90 / 60 000 = 1.125"],
    [1_500, 90, 3, "1 750 × 90 / 60 000 = 2.625"],
    [750, 120, 2, "1 000 × 120 / 60 000 = 2 exactly"],
    [1_500, 120, 4, "1 750 × 120 / 60 000 = 3.5"],
    [3_000, 10, 1, "3 250 × 10 / 60 000 = 0.54"],
    [5_000, 90, 8, "5 250 × 90 / 60 000 = 7.875"],
    [5_084, 90, 8, "5 334 × 90 / 60 000 = 8.001, capped at 8"],
    [30_000, 120, 8, "30 250 × 120 / 60 000 = 60.5, capped at 8"],
  ])("%i ms at %i/min → %i (%s)", (latencyMs, rate, expected) => {
    expect(rangesForLatency(latencyMs, rate)).toBe(expected);
  });

  it("a negative latency (a clock that stepped back) counts as 0: one range", () => {
    expect(rangesForLatency(-5_000, 120)).toBe(1); // 250 × 120 / 60 000 = 0.5
  });
});

describe("cutRanges: the rest of the Id space after the first page, in equal spans", () => {
  it("cuts (300, 3000] into 3 spans of 900 Ids; the first keeps the first page's position, the last is open-ended", () => {
    // span 2 700, ⌊2 700 / 300⌋ = 9 pages ≥ 3 → 3 cuts, step ⌈2 700 / 3⌉ = 900: bounds 1 200, 2 100.
    expect(cutRanges(300, 3_000, 3, 300)).toEqual([
      { from: null, to: 1_200, after: 300, done: false },
      { from: 1_200, to: 2_100, after: null, done: false },
      { from: 2_100, to: null, after: null, done: false },
    ]);
  });

  it("rounds the step up: (10, 100] in 4 spans of ⌈90 / 4⌉ = 23 Ids", () => {
    // bounds 10 + 23 = 33, 56, 79
    expect(cutRanges(10, 100, 4, 10)).toEqual([
      { from: null, to: 33, after: 10, done: false },
      { from: 33, to: 56, after: null, done: false },
      { from: 56, to: 79, after: null, done: false },
      { from: 79, to: null, after: null, done: false },
    ]);
  });

  it("cuts no more ranges than there are pages of Ids left: (100, 130] at 10 a page → 3, not 8", () => {
    // span 30, ⌊30 / 10⌋ = 3 → 3 cuts, step 10: bounds 110, 120.
    expect(cutRanges(100, 130, 8, 10)).toEqual([
      { from: null, to: 110, after: 100, done: false },
      { from: 110, to: 120, after: null, done: false },
      { from: 120, to: null, after: null, done: false },
    ]);
  });

  it("less than a page of Ids left: one range, the sequential walk", () => {
    // span 200 < 300 → ⌊200 / 300⌋ = 0 → 1 range.
    expect(cutRanges(300, 500, 4, 300)).toEqual([{ from: null, to: null, after: 300, done: false }]);
  });

  it("one range asked for: one range, whatever is left", () => {
    expect(cutRanges(300, 30_000, 1, 300)).toEqual([{ from: null, to: null, after: 300, done: false }]);
  });

  it("no highest Id (no deals), or one at or below the first page's end: one range", () => {
    expect(cutRanges(300, null, 5, 300)).toEqual([{ from: null, to: null, after: 300, done: false }]);
    expect(cutRanges(300, 300, 5, 300)).toEqual([{ from: null, to: null, after: 300, done: false }]);
    expect(cutRanges(300, 120, 5, 300)).toEqual([{ from: null, to: null, after: 300, done: false }]);
  });
});

describe("rangeStart and withRange", () => {
  it("a range starts after its last stored Id, else after its lower bound (null = the start)", () => {
    expect(rangeStart({ from: 40, to: 70, after: 55, done: false })).toBe(55);
    expect(rangeStart({ from: 40, to: 70, after: null, done: false })).toBe(40);
    expect(rangeStart({ from: null, to: 40, after: null, done: false })).toBeNull();
  });

  it("withRange replaces one range and leaves the input as it was", () => {
    const ranges = [
      { from: null, to: 40, after: 10, done: false },
      { from: 40, to: null, after: null, done: false },
    ];
    const moved = withRange(ranges, 1, { from: 40, to: null, after: 44, done: false });
    expect(moved).toEqual([
      { from: null, to: 40, after: 10, done: false },
      { from: 40, to: null, after: 44, done: false },
    ]);
    expect(ranges[1]).toEqual({ from: 40, to: null, after: null, done: false });
  });
});

describe("parseRangesPosition", () => {
  it("no stored position: null (a new pass)", () => {
    expect(parseRangesPosition(null)).toBeNull();
    expect(parseRangesPosition(undefined)).toBeNull();
  });

  it("accepts ranges that cover the Id space; a missing done is false, missing bounds null", () => {
    const stored = {
      ranges: [
        { from: null, to: 33, after: 33, done: true },
        { to: 56, from: 33, after: 40 },
        { from: 56, after: null },
      ],
    };
    expect(parseRangesPosition(stored)).toEqual([
      { from: null, to: 33, after: 33, done: true },
      { from: 33, to: 56, after: 40, done: false },
      { from: 56, to: null, after: null, done: false },
    ]);
  });

  it("accepts the single range of a sequential walk", () => {
    expect(parseRangesPosition({ ranges: [{ from: null, to: null, after: 7, done: false }] })).toEqual([
      { from: null, to: null, after: 7, done: false },
    ]);
  });

  it("rejects the legacy {lastId} position, quoting it", () => {
    expect(() => parseRangesPosition({ lastId: 123 })).toThrow(
      'a full pass\'s stored position has no Id ranges: {"lastId":123}',
    );
  });

  it("rejects an empty list of ranges and a position that is not an object", () => {
    expect(() => parseRangesPosition({ ranges: [] })).toThrow(/has no Id ranges/);
    expect(() => parseRangesPosition("ranges")).toThrow(/has no Id ranges/);
  });

  it("rejects a gap between two ranges", () => {
    const gap = { ranges: [{ from: null, to: 100, after: 50 }, { from: 200, to: null, after: null }] };
    expect(() => parseRangesPosition(gap)).toThrow(/do not cover the Id space/);
  });

  it("rejects unbounded ranges in the middle and bounds that do not increase", () => {
    const twoWhole = { ranges: [{ from: null, to: null, after: null }, { from: null, to: null, after: null }] };
    expect(() => parseRangesPosition(twoWhole)).toThrow(/do not cover the Id space/);
    const backwards = {
      ranges: [{ from: null, to: 100, after: null }, { from: 100, to: 50, after: null }, {
        from: 50,
        to: null,
        after: null,
      }],
    };
    expect(() => parseRangesPosition(backwards)).toThrow(/do not cover the Id space/);
  });

  it("rejects a first range with a lower bound and a last range with an upper bound", () => {
    expect(() => parseRangesPosition({ ranges: [{ from: 10, to: null, after: null }] })).toThrow(
      /do not cover the Id space/,
    );
    expect(() => parseRangesPosition({ ranges: [{ from: null, to: 100, after: 50 }] })).toThrow(
      /do not cover the Id space/,
    );
  });

  it("rejects a bound or position that is not a safe integer, naming the range", () => {
    expect(() => parseRangesPosition({ ranges: [{ from: null, to: null, after: 1.5 }] })).toThrow(
      /^range 0 of the stored position/,
    );
    expect(() =>
      parseRangesPosition({ ranges: [{ from: null, to: "9", after: null }, { from: 9, to: null, after: null }] })
    )
      .toThrow(/^range 0 of the stored position/);
    expect(() =>
      parseRangesPosition({ ranges: [{ from: null, to: 9, after: null }, { from: 9, to: null, after: 2 ** 53 }] })
    )
      .toThrow(/^range 1 of the stored position/);
  });
});
