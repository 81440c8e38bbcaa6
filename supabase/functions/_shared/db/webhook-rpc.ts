// The SQL API of the webhook queue as the sync sees it (migration 20261201001500): which queued
// deals were announced deleted, and what Ploomes answered about them. The receiver's own call
// (webhook_enqueue) lives with the receiver.
import type { SupabaseClient } from "@supabase/supabase-js";
import { z } from "zod";
import { rpcCall } from "./rpc.ts";

export interface WebhookQueueDb {
  /** Ids of queued deals announced deleted, oldest first, at most `limit`. */
  deletions(runId: number, limit: number): Promise<number[]>;
  /** Drops the absent deals from the mirror (their customers recomputed by the finish); returns how many. */
  confirm(runId: number, absent: readonly number[], present: readonly number[]): Promise<number>;
}

export function createWebhookQueueDb(client: SupabaseClient): WebhookQueueDb {
  return {
    deletions: (runId, limit) =>
      rpcCall(client, "sync_webhook_deletions", { p_run_id: runId, p_limit: limit }, z.array(z.number().int())),
    confirm: (runId, absent, present) =>
      rpcCall(
        client,
        "sync_webhook_confirm",
        { p_run_id: runId, p_absent: absent, p_present: present },
        z.number().int(),
      ),
  };
}
