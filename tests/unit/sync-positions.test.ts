import { describe, expect, it } from "vitest";
import { passStart } from "../../supabase/functions/_shared/sync/positions.ts";
import { grantedClaim } from "./sync-fakes.ts";

const RAW_7_DIGITS = "2024-05-01T12:00:00.1234567-03:00";
const SINCE = "2024-04-30T23:55:00Z";

describe("passStart: full pass", () => {
  it("a new pass (no stored position) has no ranges yet: they are cut after its first page", () => {
    expect(passStart(grantedClaim({ mode: "full", position: null }))).toEqual({ mode: "full", ranges: null });
  });

  it("resumes every range where it stood, done flags included (absent = not done)", () => {
    const position = {
      ranges: [
        { from: null, to: 400, after: 400, done: true },
        { from: 400, to: 800, after: 612 },
        { from: 800, to: null, after: null, done: false },
      ],
    };
    expect(passStart(grantedClaim({ mode: "full", position }))).toEqual({
      mode: "full",
      ranges: [
        { from: null, to: 400, after: 400, done: true },
        { from: 400, to: 800, after: 612, done: false },
        { from: 800, to: null, after: null, done: false },
      ],
    });
  });

  it("ignores since (a full pass walks Ids)", () => {
    const position = { ranges: [{ from: null, to: null, after: 5, done: false }] };
    const start = passStart(grantedClaim({ mode: "full", position, since: SINCE }));
    expect(start).toEqual({ mode: "full", ranges: [{ from: null, to: null, after: 5, done: false }] });
  });

  it("refuses the legacy {lastId} position (the migration abandons such passes), naming it", () => {
    expect(() => passStart(grantedClaim({ mode: "full", position: { lastId: 123 } }))).toThrow(
      'a full pass\'s stored position has no Id ranges: {"lastId":123}',
    );
    expect(() => passStart(grantedClaim({ mode: "full", position: { lastId: null } }))).toThrow(/has no Id ranges/);
  });

  it("refuses ranges that leave a gap in the Id space", () => {
    const position = { ranges: [{ from: null, to: 100, after: 50 }, { from: 200, to: null, after: null }] };
    expect(() => passStart(grantedClaim({ mode: "full", position }))).toThrow(/do not cover the Id space/);
  });
});

describe("passStart: incremental pass", () => {
  it("resumes from the saved (lastUpdateDate, lastId), keeping the raw date string exactly", () => {
    const start = passStart(
      grantedClaim({ mode: "incremental", position: { lastUpdateDate: RAW_7_DIGITS, lastId: 42 }, since: SINCE }),
    );
    expect(start).toEqual({ mode: "incremental", position: { lastUpdateDate: RAW_7_DIGITS, lastId: 42 } });
    if (start.mode !== "incremental" || !("lastUpdateDate" in start.position)) {
      throw new Error("expected a keyset position");
    }
    expect(start.position.lastUpdateDate).toBe("2024-05-01T12:00:00.1234567-03:00");
  });

  it("keeps an unusual but valid raw string as is (offset, trailing zeros)", () => {
    const raw = "2024-05-01T15:00:00.1000000+00:00";
    const start = passStart(grantedClaim({ mode: "incremental", position: { lastUpdateDate: raw, lastId: 1 } }));
    expect(start).toEqual({ mode: "incremental", position: { lastUpdateDate: raw, lastId: 1 } });
  });

  it("starts from since when nothing is saved", () => {
    expect(passStart(grantedClaim({ mode: "incremental", position: null, since: SINCE }))).toEqual({
      mode: "incremental",
      position: { since: SINCE },
    });
  });

  it("starts from since when the saved position has no date", () => {
    expect(passStart(grantedClaim({ mode: "incremental", position: { lastId: 7 }, since: SINCE }))).toEqual({
      mode: "incremental",
      position: { since: SINCE },
    });
  });

  it("starts from since when the saved position has a date but no Id", () => {
    expect(
      passStart(
        grantedClaim({ mode: "incremental", position: { lastUpdateDate: RAW_7_DIGITS, lastId: null }, since: SINCE }),
      ),
    ).toEqual({ mode: "incremental", position: { since: SINCE } });
  });

  it("throws, naming the pass, when there is neither a saved position nor since", () => {
    expect(() => passStart(grantedClaim({ mode: "incremental", passId: 9, position: null, since: null }))).toThrow(
      "incremental pass 9 has neither a saved position nor a start (since)",
    );
  });
});
