// Walks the orders or quotes a pass reads line items from, alongside its deals: the same lanes,
// budget and position rules as the deals walk (sync/pass-walk.ts) — a full pass in Id ranges cut
// after a first page alone, an incremental pass by (LastUpdateDate, Id) from the pass's start —
// each page stored through sync_ingest_documents with the walk's position (lines_position).
import { parseDocumentPageToRows } from "../db/document-payload.ts";
import type { ClientStats, SyncDb } from "../db/rpc.ts";
import type { PloomesClient } from "../ploomes/client.ts";
import { DOCUMENT_COLLECTIONS, type DocumentKind } from "../ploomes/documents.ts";
import type { DealPage } from "../ploomes/pages.ts";
import { linkSignals } from "../ploomes/timing.ts";
import { type Budget, pageDeadline } from "./budget.ts";
import { type Lane, type WalkEnd, walkLanes } from "./lanes.ts";
import { createPassWalk } from "./pass-walk.ts";
import { type PassStart, walkStart } from "./positions.ts";

export interface DocumentWalkDeps {
  readonly db: SyncDb;
  readonly ploomes: PloomesClient;
  readonly now: () => number;
  readonly log: (event: Record<string, unknown>) => void;
  readonly cpuUsedMs: () => number | null;
  readonly stats: () => ClientStats;
}

export interface DocumentWalkPlan {
  readonly runId: number;
  readonly kind: DocumentKind;
  readonly mode: "full" | "incremental";
  /** The walk's stored position (lines_position), null before its first page. */
  readonly position:
    | { readonly lastUpdateDate?: string; readonly lastId?: number | null; readonly ranges?: unknown[] }
    | null;
  /** The pass's incremental start (cursor minus overlap). */
  readonly since: string | null;
  readonly pageSize: number;
  readonly requestsPerMinute: number;
  readonly leaseSeconds: number;
  /** The collection's highest Id when the line-item probe just saw it. */
  readonly knownMaxId?: number;
}

/** Where the walk starts: its stored position, or the start of the pass. */
export function documentWalkStart(plan: DocumentWalkPlan): PassStart {
  return walkStart(plan.mode, plan.position, plan.since, `the ${plan.kind} walk of run ${plan.runId}`);
}

export async function walkDocuments(
  deps: DocumentWalkDeps,
  plan: DocumentWalkPlan,
  budget: Budget,
  signal: AbortSignal,
): Promise<WalkEnd> {
  const start = documentWalkStart(plan);
  // Its own signal: a failing lane stops this walk's lanes, not the run's heartbeat.
  const attempt = linkSignals([signal]);
  const controller = attempt.controller;
  try {
    const walk = createPassWalk(start, {
      client: deps.ploomes,
      pageSize: plan.pageSize,
      includeProducts: true,
      collection: DOCUMENT_COLLECTIONS[plan.kind],
      requestsPerMinute: plan.requestsPerMinute,
      signal: controller.signal,
      ...(plan.knownMaxId === undefined ? {} : { knownMaxId: plan.knownMaxId }),
      deadlineMs: () => pageDeadline(budget, deps.now()),
    });
    const hooks = {
      ended: (lane: Lane) => walk.ended(lane),
      store: async (lane: Lane, page: DealPage<unknown>, fetchMs: number) => {
        const position = await walk.positionAfter(lane, page, fetchMs);
        const { rows, rejects } = parseDocumentPageToRows(page.values);
        const stored = await deps.db.ingestDocuments({
          runId: plan.runId,
          kind: plan.kind,
          rows,
          position,
          range: lane.range,
          rejects,
          warnings: page.warnings,
          stats: deps.stats(),
          leaseSeconds: plan.leaseSeconds,
        });
        walk.commit(position);
        deps.log({
          event: "page",
          runId: plan.runId,
          entity: plan.kind,
          page: budget.pagesDone + 1,
          range: lane.range,
          documents: stored.stored,
          rejected: stored.rejected,
          fetchMs,
        });
      },
    };
    const context = {
      budget,
      now: deps.now,
      cpuUsedMs: deps.cpuUsedMs,
      signal: controller.signal,
      abort: (reason: unknown) => controller.abort(reason),
    };
    // A new full walk cuts its ranges by its first page, as the deals walk does.
    if (start.mode === "full" && start.ranges === null) {
      const first = await walkLanes(walk.lanes().slice(0, 1), { ...context, pageLimit: 1 }, hooks);
      if (first.kind === "stopped") return first;
    }
    return await walkLanes(walk.lanes(), context, hooks);
  } finally {
    attempt.dispose();
  }
}
