// The sync's SQL API over supabase-js `.rpc()` (docs/decisions.md, D1: one transaction per call). Each call's answer
// is validated with zod, and a database error becomes a DatabaseError carrying the function
// name, SQLSTATE, message and hint — never a silent `{ data: null }`.
import type { SupabaseClient } from "@supabase/supabase-js";
import { z } from "zod";
import type { ClientStats as PloomesClientStats } from "../ploomes/client-stats.ts";
import type { DealReject } from "../ploomes/deal-schema.ts";
// The row shape `sync_ingest_page` reads with jsonb_to_recordset, built from a page in one step.
import type { SqlDealRow } from "./deal-payload.ts";
import type { SqlDocumentRow } from "./document-payload.ts";

/** SQLSTATE the SQL API raises when a run lost its lease to another run. */
export const LEASE_LOST_SQLSTATE = "PT409";

export class DatabaseError extends Error {
  constructor(
    readonly fn: string,
    readonly code: string,
    message: string,
    readonly hint: string | null,
  ) {
    super(`database call ${fn} failed (${code}): ${message}${hint ? `; hint: ${hint}` : ""}`);
    this.name = "DatabaseError";
  }

  get leaseLost(): boolean {
    return this.code === LEASE_LOST_SQLSTATE;
  }
}

/** A pass's stored position: {ranges} (full pass; checked by sync/ranges.ts) or {lastUpdateDate, lastId} (incremental). */
const positionSchema = z.object({
  lastId: z.number().int().nullable().optional(),
  lastUpdateDate: z.string().optional(),
  ranges: z.array(z.unknown()).optional(),
}).nullable();

const claimSchema = z.discriminatedUnion("claimed", [
  z.object({ claimed: z.literal(false), runId: z.number(), holderRunId: z.number(), leaseExpiresAt: z.string() }),
  z.object({
    claimed: z.literal(true),
    runId: z.number(),
    passId: z.number().nullable(),
    mode: z.enum(["full", "incremental"]),
    resumed: z.boolean(),
    dryRun: z.boolean(),
    position: positionSchema,
    productsAvailable: z.boolean(),
    since: z.string().nullable(),
    /** The pass is finishing (its guards passed): only sync_finish_pass calls remain. */
    finishing: z.boolean().optional(),
  }),
]);
export type Claim = z.infer<typeof claimSchema>;
export type GrantedClaim = Extract<Claim, { claimed: true }>;

const ingestSchema = z.object({
  stored: z.number(),
  inserted: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  rejected: z.number(),
});
export type IngestResult = z.infer<typeof ingestSchema>;

export const runSummarySchema = z.object({
  runId: z.number(),
  status: z.enum(["running", "partial", "succeeded", "failed", "skipped"]),
  mode: z.enum(["full", "incremental"]).nullable(),
  trigger: z.string(),
  dryRun: z.boolean(),
  passId: z.number().nullable(),
  resumed: z.boolean(),
  pages: z.number(),
  requests: z.number(),
  retries: z.number(),
  throttledWaits: z.number(),
  dealsFetched: z.number(),
  dealsRejected: z.number(),
  dealsDeleted: z.number(),
  lineItemsSource: z.string().nullable().optional(),
  lineItemsReason: z.string().nullable().optional(),
  documentsFetched: z.number().optional(),
  documentsDeleted: z.number().optional(),
  customersInserted: z.number(),
  customersUpdated: z.number(),
  customersDeleted: z.number(),
  customersUnchanged: z.number(),
  customersChanged: z.number(),
  cursorBefore: z.string().nullable(),
  cursorAfter: z.string().nullable(),
  warnings: z.array(z.string()),
  error: z.string().nullable(),
  hint: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

/** A finish call's answer: the run summary, `running` with the step to go while the finish is not done. */
const finishStepSchema = runSummarySchema.extend({ finishing: z.enum(["sweep", "recompute", "refresh"]).optional() });
export type FinishStep = z.infer<typeof finishStepSchema>;

export const LINE_ITEMS_SOURCES = ["deals", "orders", "quotes", "none"] as const;
export type LineItemsSource = (typeof LINE_ITEMS_SOURCES)[number];

/** Where a run's pass reads line items (null: not decided yet), the source in force, the orders/quotes walk's position. */
const lineItemsPlanSchema = z.object({
  source: z.enum(LINE_ITEMS_SOURCES).nullable(),
  reason: z.string().nullable(),
  inForce: z.enum(LINE_ITEMS_SOURCES),
  inForceReason: z.string().nullable(),
  linesPosition: positionSchema,
});
export type LineItemsPlan = z.infer<typeof lineItemsPlanSchema>;

export interface LineItemsChoice {
  readonly source: LineItemsSource;
  readonly reason: string;
  /** Recorded on the run's warnings (e.g. a configured source that waits for the next full pass). */
  readonly warning?: string;
}

/** Client-side counters, cumulative for the run: the Ploomes client's counters that a run records. */
export type ClientStats = Pick<PloomesClientStats, "requests" | "retries" | "throttledWaits">;

/** Exactly the recorded counters, also when handed the client's whole stats object (the SQL API's `p_client`). */
export const statsArg = ({ requests, retries, throttledWaits }: ClientStats): ClientStats => ({
  requests,
  retries,
  throttledWaits,
});

/** Who may start a run and the modes it may ask for: the words sync_claim accepts (its own check repeats them). */
export const SYNC_TRIGGERS = ["cron", "continue", "manual", "cli", "webhook"] as const;
export const REQUESTED_MODES = ["auto", "incremental", "full"] as const;
export type SyncTrigger = (typeof SYNC_TRIGGERS)[number];
export type RequestedMode = (typeof REQUESTED_MODES)[number];

export interface ClaimOptions {
  trigger: SyncTrigger;
  mode: RequestedMode;
  dryRun: boolean;
  leaseSeconds: number;
  fullEveryHours: number;
  overlapSeconds: number;
  /** Which Ploomes data this is (base URL + key fingerprint, see sync/source.ts): a change forces a full pass. */
  source: string;
}

/** One page for sync_ingest_page. */
export interface PageToStore {
  readonly runId: number;
  /** In the shape sync_ingest_page reads, built once (db/deal-payload.ts). */
  readonly rows: readonly SqlDealRow[];
  /** The pass position after this page (see sync/ranges.ts for a full pass). */
  readonly position: unknown;
  /** Full pass: the index of the range the page belongs to (its span proves deals gone). */
  readonly range: number | null;
  readonly rejects: readonly DealReject[];
  readonly warnings: readonly string[];
  readonly stats: ClientStats;
  readonly leaseSeconds: number;
}

/** One page of orders or quotes for sync_ingest_documents: as PageToStore, with their kind. */
export interface DocumentsToStore extends Omit<PageToStore, "rows"> {
  readonly kind: "orders" | "quotes";
  readonly rows: readonly SqlDocumentRow[];
}

export interface SyncDb {
  claim(options: ClaimOptions): Promise<Claim>;
  ingestPage(page: PageToStore): Promise<IngestResult>;
  /** The run's line-item plan, recording `choice` first when given (a pass never changes source). */
  lineItems(runId: number, choice?: LineItemsChoice): Promise<LineItemsPlan>;
  ingestDocuments(page: DocumentsToStore): Promise<IngestResult>;
  /** Extends the lease while the run waits; a DatabaseError with leaseLost when it was taken over. */
  heartbeat(runId: number, leaseSeconds: number, stats: ClientStats): Promise<void>;
  /** One slice of the finish: `running` (with `finishing`) until the pass is published or fails. */
  finishPass(runId: number, stats: ClientStats, maxRejectRatio: number, maxDeleteRatio: number): Promise<FinishStep>;
  endPartial(runId: number, stats: ClientStats): Promise<RunSummary>;
  failRun(
    runId: number,
    error: string,
    hint: string | null,
    httpStatus: number,
    stats: ClientStats,
  ): Promise<RunSummary>;
  disableProducts(runId: number, warning: string): Promise<void>;
  logFailure(
    trigger: ClaimOptions["trigger"],
    mode: ClaimOptions["mode"],
    error: string,
    hint: string | null,
    httpStatus: number,
  ): Promise<RunSummary>;
}

/** One SQL API call: its answer validated by `schema`, any failure a DatabaseError naming `fn`. */
export async function rpcCall<T>(
  client: SupabaseClient,
  fn: string,
  args: Record<string, unknown>,
  schema: z.ZodType<T>,
): Promise<T> {
  const { data, error } = await client.rpc(fn, args);
  if (error) throw new DatabaseError(fn, error.code ?? "unknown", error.message, error.hint ?? null);
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new DatabaseError(
      fn,
      "invalid-result",
      `unexpected result: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      "Are the migrations applied? Run `supabase db push`.",
    );
  }
  return parsed.data;
}

export function createSyncDb(client: SupabaseClient): SyncDb {
  const call = <T>(fn: string, args: Record<string, unknown>, schema: z.ZodType<T>) =>
    rpcCall(client, fn, args, schema);

  return {
    claim: (o) =>
      call("sync_claim", {
        p_trigger: o.trigger,
        p_requested_mode: o.mode,
        p_dry_run: o.dryRun,
        p_lease_seconds: o.leaseSeconds,
        p_full_every_hours: o.fullEveryHours,
        p_overlap_seconds: o.overlapSeconds,
        p_source: o.source,
      }, claimSchema),
    ingestPage: (page) =>
      call("sync_ingest_page", {
        p_run_id: page.runId,
        p_deals: page.rows,
        p_position: page.position,
        p_rejects: page.rejects,
        p_warnings: page.warnings,
        p_client: statsArg(page.stats),
        p_lease_seconds: page.leaseSeconds,
        p_range: page.range,
      }, ingestSchema),
    lineItems: (runId, choice) =>
      call("sync_line_items", { p_run_id: runId, p_choice: choice ?? null }, lineItemsPlanSchema),
    ingestDocuments: (page) =>
      call("sync_ingest_documents", {
        p_run_id: page.runId,
        p_kind: page.kind,
        p_documents: page.rows,
        p_position: page.position,
        p_range: page.range,
        p_rejects: page.rejects,
        p_warnings: page.warnings,
        p_client: statsArg(page.stats),
        p_lease_seconds: page.leaseSeconds,
      }, ingestSchema),
    heartbeat: async (runId, leaseSeconds, stats) => {
      await call(
        "sync_heartbeat",
        { p_run_id: runId, p_lease_seconds: leaseSeconds, p_client: statsArg(stats) },
        z.unknown(),
      );
    },
    finishPass: (runId, stats, maxRejectRatio, maxDeleteRatio) =>
      call("sync_finish_pass", {
        p_run_id: runId,
        p_client: statsArg(stats),
        p_max_reject_ratio: maxRejectRatio,
        p_max_delete_ratio: maxDeleteRatio,
      }, finishStepSchema),
    endPartial: (runId, stats) =>
      call("sync_end_partial", { p_run_id: runId, p_client: statsArg(stats) }, runSummarySchema),
    failRun: (runId, error, hint, httpStatus, stats) =>
      call("sync_fail_run", {
        p_run_id: runId,
        p_error: error,
        p_hint: hint,
        p_http_status: httpStatus,
        p_client: statsArg(stats),
      }, runSummarySchema),
    logFailure: (trigger, mode, error, hint, httpStatus) =>
      call("sync_log_failure", {
        p_trigger: trigger,
        p_requested_mode: mode,
        p_error: error,
        p_hint: hint,
        p_http_status: httpStatus,
      }, runSummarySchema),
    disableProducts: async (runId, warning) => {
      await call("sync_disable_products", { p_run_id: runId, p_warning: warning }, z.unknown());
    },
  };
}
