import { describe, expect, it } from "vitest";
import {
  compareDateTimes,
  isPloomesDateTime,
  parsePreciseInstant,
} from "../../supabase/functions/_shared/ploomes/iso-date.ts";

describe("Ploomes date-times", () => {
  it("accepts 0–7 fractional digits with an offset or Z", () => {
    for (
      const ok of [
        "2023-03-23T00:00:00-03:00",
        "2022-12-15T14:59:45.13-03:00",
        "2023-03-07T12:39:44.957-03:00",
        "2023-03-07T12:39:44.9571234-03:00",
        "2024-01-01T00:00:00Z",
        "2024-02-29T23:59:59.1+05:30",
      ]
    ) {
      expect(isPloomesDateTime(ok), ok).toBe(true);
    }
  });

  it("rejects date-only, offset-less, 8 digits, impossible dates and junk", () => {
    for (
      const bad of [
        "2023-03-23",
        "2023-03-23T00:00:00",
        "2023-03-23T00:00:00.12345678Z",
        "2023-02-29T00:00:00Z",
        "2023-02-30T00:00:00Z",
        "2023-13-01T00:00:00Z",
        "2023-01-01T24:00:00Z",
        "2023-01-01T00:00:60Z",
        "2023-01-01T00:00:00+15:00",
        "2023-01-01 00:00:00Z",
        "2023-01-01T00:00:00z",
        "",
      ]
    ) {
      expect(isPloomesDateTime(bad), bad).toBe(false);
    }
  });

  it("parses the instant exactly, in 100 ns ticks", () => {
    // 12:39:44 at −03:00 is 15:39:44 UTC.
    expect(parsePreciseInstant("2023-03-07T12:39:44.9571234-03:00")).toEqual({
      epochSeconds: Date.UTC(2023, 2, 7, 15, 39, 44) / 1000,
      ticks: 9_571_234,
    });
    expect(parsePreciseInstant("2023-03-07T12:39:44.5Z")?.ticks).toBe(5_000_000);
  });

  it("compares beyond millisecond precision and across offsets", () => {
    expect(compareDateTimes("2023-03-07T12:39:44.9571234-03:00", "2023-03-07T12:39:44.957-03:00")).toBe(1);
    expect(compareDateTimes("2023-03-07T12:39:44.957-03:00", "2023-03-07T12:39:44.9570001-03:00")).toBe(-1);
    expect(compareDateTimes("2024-01-01T00:00:00Z", "2023-12-31T21:00:00-03:00")).toBe(0);
    expect(compareDateTimes("2024-01-01T00:00:00.1Z", "2024-01-01T00:00:00.1000000Z")).toBe(0);
    expect(() => compareDateTimes("2024-01-01", "2024-01-01T00:00:00Z")).toThrow(/not a Ploomes date-time/);
  });
});
