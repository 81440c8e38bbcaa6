import { describe, expect, it } from "vitest";
import {
  editDistance,
  findNearMisses,
  findStrayVariables,
  nearMissScore,
  normalizeName,
} from "../../supabase/functions/_shared/config/near-miss.ts";

describe("editDistance (optimal string alignment)", () => {
  it.each([
    ["", "", 0],
    ["abc", "abc", 0],
    ["abc", "", 3],
    ["ploomeapikey", "ploomesapikey", 1],
    ["cronsecert", "cronsecret", 1],
    ["kitten", "sitting", 3],
    ["synctimebudget", "synctimebudgetms", 2],
  ])("%s ↔ %s = %i", (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });
});

describe("near misses", () => {
  it("normalises case and underscores", () => {
    expect(normalizeName("Ploomes_Api_Key")).toBe("ploomesapikey");
  });

  it("scores aliases and close spellings, not exact or unrelated names", () => {
    expect(nearMissScore("PLOOMES_USER_KEY", "PLOOMES_API_KEY")).toBe(0);
    expect(nearMissScore("ploomes_api_key", "PLOOMES_API_KEY")).toBe(0);
    expect(nearMissScore("PLOOME_API_KEY", "PLOOMES_API_KEY")).toBe(1);
    expect(nearMissScore("PLOOMES_API_KEY", "PLOOMES_API_KEY")).toBeNull();
    expect(nearMissScore("PLOOMES_BASE_URL", "PLOOMES_API_KEY")).toBeNull();
    expect(nearMissScore("SUPABASE_DB_URL", "SUPABASE_URL")).toBeNull();
  });

  it("orders candidates closest first", () => {
    expect(findNearMisses("PLOOMES_API_KEY", ["HOME", "PLOOMES_APY_KEYS", "PLOOME_API_KEY", "PATH"])).toEqual([
      "PLOOME_API_KEY",
      "PLOOMES_APY_KEYS",
    ]);
  });

  it("finds strays only under our prefixes and only when they look like ours", () => {
    expect(
      findStrayVariables(
        ["SYNC_TIME_BUDGET_MSS", "PLOOMES_SIMULATOR_SEED", "CRON_SECERT", "sync_overlap_secnds"],
        new Set(),
      ),
    ).toEqual([
      { found: "SYNC_TIME_BUDGET_MSS", suggestion: "SYNC_TIME_BUDGET_MS" },
      { found: "sync_overlap_secnds", suggestion: "SYNC_OVERLAP_SECONDS" },
    ]);
    expect(findStrayVariables(["SYNC_TIME_BUDGET_MSS"], new Set(["SYNC_TIME_BUDGET_MSS"]))).toEqual([]);
  });
});
