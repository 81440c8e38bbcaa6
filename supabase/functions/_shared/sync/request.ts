// What one invocation of the sync is asked to do: the mode, whether it is a dry run, and who
// triggered it. The words are the SQL API's (db/rpc.ts), written once for the HTTP body's schema
// and the claim alike.
import type { RequestedMode, SyncTrigger } from "../db/rpc.ts";

export { REQUESTED_MODES, SYNC_TRIGGERS } from "../db/rpc.ts";
export type { RequestedMode, SyncTrigger };

export interface SyncRequest {
  readonly mode: RequestedMode;
  readonly dryRun: boolean;
  readonly trigger: SyncTrigger;
}
