// Translating between the pass position the database stores and where the pager starts (pure).
// A full pass stores its Id ranges (sync/ranges.ts); an incremental pass its keyset position.
import type { GrantedClaim } from "../db/rpc.ts";
import type { IncrementalPosition } from "../ploomes/odata.ts";
import { type IdRange, parseRangesPosition } from "./ranges.ts";

export type PassStart =
  /** `ranges` null: a new pass, whose ranges are cut after its first page. */
  | { mode: "full"; ranges: IdRange[] | null }
  | { mode: "incremental"; position: IncrementalPosition };

export function passStart(claim: GrantedClaim): PassStart {
  const stored = claim.position;
  if (claim.mode === "full") return { mode: "full", ranges: parseRangesPosition(stored) };
  if (stored?.lastUpdateDate !== undefined && typeof stored.lastId === "number") {
    return { mode: "incremental", position: { lastUpdateDate: stored.lastUpdateDate, lastId: stored.lastId } };
  }
  if (claim.since === null) {
    throw new Error(`incremental pass ${claim.passId} has neither a saved position nor a start (since)`);
  }
  return { mode: "incremental", position: { since: claim.since } };
}
