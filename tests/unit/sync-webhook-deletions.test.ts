// Deletions announced by webhooks: looked up by Id in batches, and only the Ids Ploomes no longer
// returns are reported absent (sync/webhook-deletions.ts).
import { describe, expect, it } from "vitest";
import type { WebhookQueueDb } from "../../supabase/functions/_shared/db/webhook-rpc.ts";
import type { PloomesClient } from "../../supabase/functions/_shared/ploomes/client.ts";
import { emptyClientStats } from "../../supabase/functions/_shared/ploomes/client-stats.ts";
import {
  confirmWebhookDeletions,
  IDS_PER_REQUEST,
  presenceQuery,
} from "../../supabase/functions/_shared/sync/webhook-deletions.ts";

function fakeQueue(ids: number[]) {
  const confirmed: { absent: readonly number[]; present: readonly number[] }[] = [];
  const queue: WebhookQueueDb = {
    deletions: () => Promise.resolve(ids),
    confirm: (_runId, absent, present) => {
      confirmed.push({ absent, present });
      return Promise.resolve(absent.length);
    },
  };
  return { queue, confirmed };
}

/** A Ploomes that still has `existing`, answering each query with the Ids it names. */
function fakePloomes(existing: ReadonlySet<number>) {
  const queries: string[] = [];
  const client: PloomesClient = {
    origin: "https://ploomes.test",
    getPage: (pathAndQuery) => {
      queries.push(pathAndQuery);
      const named = [...decodeURIComponent(pathAndQuery).matchAll(/Id eq (\d+)/g)].map((m) => Number(m[1]));
      return Promise.resolve({
        value: named.filter((id) => existing.has(id)).map((Id) => ({ Id })),
        nextLink: null,
        url: "",
      });
    },
    getAbsolute: () => Promise.reject(new Error("not used")),
    stats: emptyClientStats,
  };
  return { client, queries };
}

describe("presenceQuery", () => {
  it("asks for exactly those Ids, their Id only", () => {
    expect(presenceQuery([7, 12])).toBe("/Deals?$filter=Id%20eq%207%20or%20Id%20eq%2012&$select=Id&$top=2");
  });
});

describe("confirmWebhookDeletions", () => {
  const request = { deadlineMs: Number.MAX_SAFE_INTEGER };

  it("asks nothing when no deletion was announced", async () => {
    const { queue, confirmed } = fakeQueue([]);
    const { client, queries } = fakePloomes(new Set());
    expect(await confirmWebhookDeletions(queue, client, 1, request)).toEqual({ checked: 0, dropped: 0 });
    expect(queries).toEqual([]);
    expect(confirmed).toEqual([]);
  });

  it("reports absent the Ids Ploomes no longer returns, present the others", async () => {
    const { queue, confirmed } = fakeQueue([5, 6, 7]);
    const { client } = fakePloomes(new Set([6]));
    expect(await confirmWebhookDeletions(queue, client, 1, request)).toEqual({ checked: 3, dropped: 2 });
    expect(confirmed).toEqual([{ absent: [5, 7], present: [6] }]);
  });

  it(`asks ${IDS_PER_REQUEST} Ids per request`, async () => {
    const ids = Array.from({ length: 85 }, (_, i) => 1000 + i);
    const { queue, confirmed } = fakeQueue(ids);
    const { client, queries } = fakePloomes(new Set(ids.filter((id) => id % 2 === 0)));
    await confirmWebhookDeletions(queue, client, 1, request);
    expect(queries).toHaveLength(3); // 40 + 40 + 5
    expect(confirmed[0]?.absent).toHaveLength(42); // the odd Ids of 1000…1084
    expect(confirmed[0]?.present).toHaveLength(43);
  });
});
