// Deals a webhook announced deleted leave the mirror only when Ploomes confirms it: they are
// looked up by Id (an incremental pass cannot see a deletion), a few dozen per request, and the
// ones Ploomes no longer returns are dropped before the pass finishes, so their customers are
// recomputed with it. The announcement itself is never enough: a lost or forged one costs nothing.
import type { WebhookQueueDb } from "../db/webhook-rpc.ts";
import { buildQuery, DEALS_PATH } from "../ploomes/odata.ts";
import type { PloomesClient } from "../ploomes/client.ts";
import { idOf } from "../ploomes/pages.ts";

/** Ids per request: `Id eq 500000001 or …` keeps the URL near 1 KB. */
export const IDS_PER_REQUEST = 40;
/** Announced deletions checked per run; more wait for the next run (each is one row of the queue). */
export const DELETIONS_PER_RUN = 200;

/** The query that answers which of `ids` Ploomes still has. */
export function presenceQuery(ids: readonly number[]): string {
  return buildQuery(DEALS_PATH, [
    ["$filter", ids.map((id) => `Id eq ${id}`).join(" or ")],
    ["$select", "Id"],
    ["$top", String(ids.length)],
  ]);
}

export interface DeletionCheck {
  readonly checked: number;
  readonly dropped: number;
}

export async function confirmWebhookDeletions(
  queue: WebhookQueueDb,
  ploomes: PloomesClient,
  runId: number,
  request: { readonly signal?: AbortSignal; readonly deadlineMs: number },
): Promise<DeletionCheck> {
  const ids = await queue.deletions(runId, DELETIONS_PER_RUN);
  if (ids.length === 0) return { checked: 0, dropped: 0 };
  const present = new Set<number>();
  for (let start = 0; start < ids.length; start += IDS_PER_REQUEST) {
    const page = await ploomes.getPage(presenceQuery(ids.slice(start, start + IDS_PER_REQUEST)), request);
    for (const row of page.value) {
      const id = idOf(row);
      if (id !== null) present.add(id);
    }
  }
  const absent = ids.filter((id) => !present.has(id));
  const dropped = await queue.confirm(runId, absent, ids.filter((id) => present.has(id)));
  return { checked: ids.length, dropped };
}
