// The queue behind the receiver: one `webhook_enqueue(p_deal_id, p_action)` call per event over an
// RPC function (supabase-js `client.rpc`, handed in by wiring.ts, so this file needs no client). A
// database error becomes a DatabaseError (../db/rpc.ts): function, SQLSTATE, message, hint.
import type { DatabaseAccess } from "../config/config.ts";
import { DatabaseError } from "../db/rpc.ts";
import type { DealEvent, Enqueue } from "./receiver.ts";

export const ENQUEUE_FUNCTION = "webhook_enqueue";

type RpcError = { readonly code?: string; readonly message: string; readonly hint?: string | null };
/** supabase-js `client.rpc`, narrowed to what the queue uses (tests hand in their own). */
export type RpcCall = (
  fn: string,
  args: Readonly<Record<string, unknown>>,
) => PromiseLike<{ readonly error: RpcError | null }>;

/** Queues one event; the function's answer is not needed. */
export async function enqueueWith(rpc: RpcCall, event: DealEvent): Promise<void> {
  const { error } = await rpc(ENQUEUE_FUNCTION, { p_deal_id: event.dealId, p_action: event.action });
  if (error) throw new DatabaseError(ENQUEUE_FUNCTION, error.code ?? "unknown", error.message, error.hint ?? null);
}

/** The connection is opened on the first event and kept: the configuration is parsed once per worker. */
export function createEnqueue(open: (database: DatabaseAccess) => RpcCall): Enqueue {
  let rpc: RpcCall | null = null;
  return (database, event) => {
    rpc ??= open(database);
    return enqueueWith(rpc, event);
  };
}
