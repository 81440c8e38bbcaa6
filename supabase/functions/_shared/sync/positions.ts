// Translating between the pass position the database stores and the keyset positions the
// Ploomes pager understands (pure).
import type { GrantedClaim } from "../db/rpc.ts";
import type { FullPosition, IncrementalPosition } from "../ploomes/odata.ts";

export type PassStart =
  | { mode: "full"; position: FullPosition }
  | { mode: "incremental"; position: IncrementalPosition };

export function passStart(claim: GrantedClaim): PassStart {
  const stored = claim.position;
  if (claim.mode === "full") return { mode: "full", position: { lastId: stored?.lastId ?? null } };
  if (stored?.lastUpdateDate !== undefined && typeof stored.lastId === "number") {
    return { mode: "incremental", position: { lastUpdateDate: stored.lastUpdateDate, lastId: stored.lastId } };
  }
  if (claim.since === null) throw new Error(`incremental pass ${claim.passId} has neither a saved position nor a start (since)`);
  return { mode: "incremental", position: { since: claim.since } };
}
