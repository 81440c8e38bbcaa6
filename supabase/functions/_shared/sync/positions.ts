// Translating between the pass position the database stores and where the pager starts (pure).
// A full pass stores its Id ranges (sync/ranges.ts); an incremental pass its keyset position.
import type { GrantedClaim } from "../db/rpc.ts";
import type { IncrementalPosition } from "../ploomes/odata.ts";
import { type IdRange, parseRangesPosition } from "./ranges.ts";

export type PassStart =
  /** `ranges` null: a new pass, whose ranges are cut after its first page. */
  | { mode: "full"; ranges: IdRange[] | null }
  | { mode: "incremental"; position: IncrementalPosition };

/** Where a walk starts: its stored position, or the start of its pass. `walk` names it in the error. */
export function walkStart(
  mode: "full" | "incremental",
  stored: GrantedClaim["position"],
  since: string | null,
  walk: string,
): PassStart {
  if (mode === "full") return { mode: "full", ranges: parseRangesPosition(stored) };
  if (stored?.lastUpdateDate !== undefined && typeof stored.lastId === "number") {
    return { mode: "incremental", position: { lastUpdateDate: stored.lastUpdateDate, lastId: stored.lastId } };
  }
  if (since === null) throw new Error(`${walk} has neither a saved position nor a start (since)`);
  return { mode: "incremental", position: { since } };
}

/** The deals walk's start. */
export function passStart(claim: GrantedClaim): PassStart {
  return walkStart(claim.mode, claim.position, claim.since, `incremental pass ${claim.passId}`);
}
