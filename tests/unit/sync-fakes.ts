// Test doubles for the sync runner: a manual clock, a fake SyncDb that records every call, a
// scripted PloomesClient (one step per request, getPage and getAbsolute alike, in order — or, for
// lanes walking concurrently, steps routed by the request's $filter: byFilter), a deal factory
// that satisfies dealSchema, and Config objects built through parseConfig. Nothing here waits on
// real time: a step that must "take a while" awaits whatever the test controls.

import { formatProblems, parseConfig } from "../../supabase/functions/_shared/config/config.ts";
import type { Config, Env } from "../../supabase/functions/_shared/config/config.ts";
import type {
  Claim,
  ClaimOptions,
  ClientStats as DbClientStats,
  DocumentsToStore,
  FinishStep,
  GrantedClaim,
  IngestResult,
  LineItemsChoice,
  LineItemsPlan,
  RunSummary,
  SyncDb,
} from "../../supabase/functions/_shared/db/rpc.ts";
import type {
  ClientStats,
  PageResponse,
  PloomesClient,
  RequestOptions,
} from "../../supabase/functions/_shared/ploomes/client.ts";
import type { SqlDealRow } from "../../supabase/functions/_shared/db/deal-payload.ts";
import type { DealReject } from "../../supabase/functions/_shared/ploomes/deal-schema.ts";
import type { WorkerClock } from "../../supabase/functions/_shared/sync/budget.ts";

export const PLOOMES_BASE = "https://public-api2.ploomes.com";
export const T0 = Date.UTC(2024, 4, 2, 12, 0, 0);

// ---------------------------------------------------------------- configuration

export const API_KEY = "PLOOMESKEY0123456789ABCDEF0123456789ABCDEF";
export const CRON_SECRET = "cron-secret-0123456789abcdef0123456789";
export const SERVICE_KEY = "service-role-key-0123456789abcdef";

export const BASE_ENV: Env = {
  PLOOMES_API_KEY: API_KEY,
  CRON_SECRET,
  SUPABASE_URL: "https://abcd.supabase.co",
  SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
};

/** A valid Config: BASE_ENV plus `overrides` (a problem is a test bug, so it throws). */
export function makeConfig(overrides: Env = {}): Config {
  const result = parseConfig({ ...BASE_ENV, ...overrides });
  if (!result.ok) throw new Error(`test config is invalid: ${formatProblems(result.problems)}`);
  return result.config;
}

// ---------------------------------------------------------------- clock

export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

export function createManualClock(startMs = T0): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}

// ---------------------------------------------------------------- worker

export interface FakeWorker extends WorkerClock {
  /** Adds CPU the worker "used" (e.g. per request a fake Ploomes answers). */
  burn(ms: number): void;
}

/** A worker that started at `startedAtMs`, with a CPU counter only the test moves; null = no CPU clock. */
export function createFakeWorker(startedAtMs: number, withCpuClock = true): FakeWorker {
  let cpu = 0;
  return {
    startedAtMs,
    cpuUsedMs: () => (withCpuClock ? cpu : null),
    burn: (ms) => {
      cpu += ms;
    },
  };
}

// ---------------------------------------------------------------- SyncDb

export function runSummary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: 7,
    status: "succeeded",
    mode: "full",
    trigger: "manual",
    dryRun: false,
    passId: 3,
    resumed: false,
    pages: 0,
    requests: 0,
    retries: 0,
    throttledWaits: 0,
    dealsFetched: 0,
    dealsRejected: 0,
    dealsDeleted: 0,
    customersInserted: 0,
    customersUpdated: 0,
    customersDeleted: 0,
    customersUnchanged: 0,
    customersChanged: 0,
    cursorBefore: null,
    cursorAfter: null,
    warnings: [],
    error: null,
    hint: null,
    startedAt: "2024-05-02T12:00:00.000Z",
    finishedAt: "2024-05-02T12:00:01.000Z",
    ...overrides,
  };
}

/** A finishPass answer for a finish still in progress (another slice to go). */
export function finishRunning(overrides: Partial<FinishStep> = {}): FinishStep {
  return { ...runSummary({ status: "running", finishedAt: null }), finishing: "sweep", ...overrides };
}

/** A finishPass that answers `answers` in turn (the last one repeats). */
export function finishAnswers(...answers: readonly FinishStep[]): (call: FinishCall) => FinishStep {
  let calls = 0;
  return (call) => {
    const answer = answers[Math.min(calls, answers.length - 1)];
    calls += 1;
    if (answer === undefined) throw new Error("finishAnswers: no answer given");
    return { ...answer, runId: call.runId };
  };
}

export function grantedClaim(overrides: Partial<GrantedClaim> = {}): GrantedClaim {
  return {
    claimed: true,
    runId: 7,
    passId: 3,
    mode: "full",
    resumed: false,
    dryRun: false,
    position: null,
    productsAvailable: true,
    since: null,
    ...overrides,
  };
}

export interface ClaimCall {
  readonly fn: "claim";
  readonly options: ClaimOptions;
}
export interface IngestCall {
  readonly fn: "ingestPage";
  readonly runId: number;
  readonly rows: readonly SqlDealRow[];
  readonly position: unknown;
  readonly range: number | null;
  readonly rejects: readonly DealReject[];
  readonly warnings: readonly string[];
  readonly stats: DbClientStats;
  readonly leaseSeconds: number;
}
export interface HeartbeatCall {
  readonly fn: "heartbeat";
  readonly runId: number;
  readonly leaseSeconds: number;
  readonly stats: DbClientStats;
}
export interface FinishCall {
  readonly fn: "finishPass";
  readonly runId: number;
  readonly stats: DbClientStats;
  readonly maxRejectRatio: number;
  readonly maxDeleteRatio: number;
}
export interface PartialCall {
  readonly fn: "endPartial";
  readonly runId: number;
  readonly stats: DbClientStats;
}
export interface FailCall {
  readonly fn: "failRun";
  readonly runId: number;
  readonly error: string;
  readonly hint: string | null;
  readonly httpStatus: number;
  readonly stats: DbClientStats;
}
export interface DisableProductsCall {
  readonly fn: "disableProducts";
  readonly runId: number;
  readonly warning: string;
}
export interface LogFailureCall {
  readonly fn: "logFailure";
  readonly trigger: ClaimOptions["trigger"];
  readonly mode: ClaimOptions["mode"];
  readonly error: string;
  readonly hint: string | null;
  readonly httpStatus: number;
}
export interface IngestDocumentsCall extends DocumentsToStore {
  readonly fn: "ingestDocuments";
}
export type DbCall =
  | ClaimCall
  | IngestCall
  | IngestDocumentsCall
  | HeartbeatCall
  | FinishCall
  | PartialCall
  | FailCall
  | DisableProductsCall
  | LogFailureCall;
export type DbFn = DbCall["fn"];

/** Behaviour overrides; each may throw to simulate a database error. Defaults succeed. */
export interface FakeDbOptions {
  readonly claim?: Claim;
  readonly onClaim?: (options: ClaimOptions) => void;
  readonly ingestPage?: (call: IngestCall) => IngestResult;
  /**
   * The run's line-item plan (sync_line_items), given the choice being recorded (if any). Default:
   * the pass reads line items from deals, as every test written before line-item sources expects.
   */
  readonly lineItems?: (runId: number, choice: LineItemsChoice | undefined) => LineItemsPlan;
  /** May throw (or reject) to simulate a failed beat, e.g. a DatabaseError PT409. */
  readonly heartbeat?: (call: HeartbeatCall) => void | Promise<void>;
  /** One finish slice: answer status `running` (see finishRunning) while the finish is not done. */
  readonly finishPass?: (call: FinishCall) => FinishStep;
  readonly endPartial?: (call: PartialCall) => RunSummary;
  readonly failRun?: (call: FailCall) => RunSummary;
}

export interface FakeDb extends SyncDb {
  readonly calls: DbCall[];
  /** sync_line_items calls, kept apart so the call sequences tests assert on stay as they were. */
  readonly lineItemCalls: { readonly runId: number; readonly choice: LineItemsChoice | undefined }[];
  /** The names of the calls made, in order. */
  fns(): DbFn[];
  callsTo<K extends DbFn>(fn: K): Extract<DbCall, { fn: K }>[];
}

export function createFakeDb(options: FakeDbOptions = {}): FakeDb {
  const calls: DbCall[] = [];
  const claim = options.claim ?? grantedClaim();
  const lineItemCalls: FakeDb["lineItemCalls"] = [];
  return {
    calls,
    lineItemCalls,
    lineItems: async (runId, choice) => {
      lineItemCalls.push({ runId, choice });
      if (options.lineItems) return options.lineItems(runId, choice);
      return { source: "deals", reason: "test default", inForce: "deals", inForceReason: null, linesPosition: null };
    },
    ingestDocuments: async (page) => {
      calls.push({ fn: "ingestDocuments", ...page });
      return {
        stored: page.rows.length,
        inserted: page.rows.length,
        updated: 0,
        unchanged: 0,
        rejected: page.rejects.length,
      };
    },
    fns: () => calls.map((call) => call.fn),
    callsTo: <K extends DbFn>(fn: K) => calls.filter((call): call is Extract<DbCall, { fn: K }> => call.fn === fn),
    claim: async (claimOptions) => {
      calls.push({ fn: "claim", options: claimOptions });
      options.onClaim?.(claimOptions);
      return claim;
    },
    ingestPage: async (page) => {
      const call: IngestCall = { fn: "ingestPage", ...page };
      calls.push(call);
      if (options.ingestPage) return options.ingestPage(call);
      return {
        stored: page.rows.length,
        inserted: page.rows.length,
        updated: 0,
        unchanged: 0,
        rejected: page.rejects.length,
      };
    },
    heartbeat: async (runId, leaseSeconds, stats) => {
      const call: HeartbeatCall = { fn: "heartbeat", runId, leaseSeconds, stats };
      calls.push(call);
      await options.heartbeat?.(call);
    },
    finishPass: async (runId, stats, maxRejectRatio, maxDeleteRatio) => {
      const call: FinishCall = { fn: "finishPass", runId, stats, maxRejectRatio, maxDeleteRatio };
      calls.push(call);
      return options.finishPass ? options.finishPass(call) : runSummary({ runId, status: "succeeded" });
    },
    endPartial: async (runId, stats) => {
      const call: PartialCall = { fn: "endPartial", runId, stats };
      calls.push(call);
      return options.endPartial ? options.endPartial(call) : runSummary({ runId, status: "partial" });
    },
    failRun: async (runId, error, hint, httpStatus, stats) => {
      const call: FailCall = { fn: "failRun", runId, error, hint, httpStatus, stats };
      calls.push(call);
      return options.failRun ? options.failRun(call) : runSummary({ runId, status: "failed", error, hint });
    },
    disableProducts: async (runId, warning) => {
      calls.push({ fn: "disableProducts", runId, warning });
    },
    logFailure: async (trigger, mode, error, hint, httpStatus) => {
      calls.push({ fn: "logFailure", trigger, mode, error, hint, httpStatus });
      return runSummary({ status: "failed", error, hint });
    },
  };
}

// ---------------------------------------------------------------- PloomesClient

export interface PloomesRequest {
  /** Which client method was called. */
  readonly kind: "page" | "absolute";
  /** What it was called with: a path for getPage, an absolute URL for getAbsolute. */
  readonly path: string;
  readonly deadlineMs: number;
  /** The clock when the request started (before the step's simulated duration). */
  readonly atMs: number | null;
  /** The caller's signal (the runner's: aborted by the caller or by a lost lease). */
  readonly signal: AbortSignal | undefined;
}

/** Answers one request: returns (or resolves to) a page, or throws (rejects). */
export type PageStep = (request: PloomesRequest) => PageResponse | Promise<PageResponse>;

export interface FakePloomes extends PloomesClient {
  readonly requests: PloomesRequest[];
  /** `$filter` of request `index`, decoded; null when it has none. */
  filterOf(index: number): string | null;
  paramOf(index: number, name: string): string | null;
}

/** Constant extra counters, so a test can see which ones the runner forwards to the database. */
export const FAKE_RETRIES = 5;
export const FAKE_THROTTLED_WAITS = 4;

export interface FakePloomesOptions {
  readonly clock?: ManualClock;
  /** How long each request takes on `clock` (advanced before the step answers or throws). */
  readonly msPerRequest?: number;
}

/** The origin of PLOOMES_BASE (the default PLOOMES_BASE_URL), computed without the client. */
export const PLOOMES_ORIGIN = new URL(PLOOMES_BASE).origin;

export function createFakePloomes(steps: readonly PageStep[], options: FakePloomesOptions = {}): FakePloomes {
  const requests: PloomesRequest[] = [];
  const params = (index: number): URLSearchParams => {
    const path = requests[index]?.path;
    if (path === undefined) throw new Error(`no request #${index}`);
    return new URLSearchParams(path.slice(path.indexOf("?") + 1));
  };
  const answer = async (kind: PloomesRequest["kind"], path: string, requestOptions: RequestOptions) => {
    const request: PloomesRequest = {
      kind,
      path,
      deadlineMs: requestOptions.deadlineMs,
      atMs: options.clock?.now() ?? null,
      signal: requestOptions.signal,
    };
    requests.push(request);
    const step = steps[requests.length - 1];
    if (step === undefined) throw new Error(`fake Ploomes: unexpected request #${requests.length}: ${path}`);
    options.clock?.advance(options.msPerRequest ?? 0);
    return step(request);
  };
  return {
    origin: PLOOMES_ORIGIN,
    requests,
    filterOf: (index) => params(index).get("$filter"),
    paramOf: (index, name) => params(index).get(name),
    getPage: (path, requestOptions) => answer("page", path, requestOptions),
    getAbsolute: (url, requestOptions) => answer("absolute", url, requestOptions),
    stats: (): ClientStats => ({
      requests: requests.length,
      retries: FAKE_RETRIES,
      throttledWaits: FAKE_THROTTLED_WAITS,
      throttleWaitMs: 111,
      retryWaitMs: 222,
      status429: 1,
      timeouts: 2,
      networkErrors: 3,
    }),
  };
}

const urlOf = (request: PloomesRequest): string =>
  request.kind === "page" ? `${PLOOMES_BASE}${request.path}` : request.path;

/** A step answering `values` (no nextLink). */
export const page = (values: readonly unknown[]): PageStep => (request) => ({
  value: [...values],
  nextLink: null,
  url: urlOf(request),
});

/** A step answering `values` with `@odata.nextLink` = `nextLink`. */
export const pageWithLink = (values: readonly unknown[], nextLink: string): PageStep => (request) => ({
  value: [...values],
  nextLink,
  url: urlOf(request),
});

/** The two empty answers in a row that end a pass (at its start, or after a page of $top rows). */
export const passEnd = (): PageStep[] => [page([]), page([])];

/**
 * The one empty answer that ends a walk right after a page shorter than $top (while no short page
 * of this walk has been followed by more rows).
 */
export const shortPageEnd = (): PageStep[] => [page([])];

/** A step answering the highest-Id query (`$orderby=Id desc&$top=1&$select=Id`) with `id`. */
export const maxIdAnswer = (id: number): PageStep => page([{ Id: id }]);

/** The key byFilter routes a request by: its decoded $filter, NO_FILTER, or MAX_ID_QUERY. */
export const NO_FILTER = "(no filter)";
export const MAX_ID_QUERY = "(highest Id)";

export function requestKey(request: PloomesRequest): string {
  const url = new URL(request.path, PLOOMES_BASE);
  if (url.searchParams.get("$orderby") === "Id desc") return MAX_ID_QUERY;
  return url.searchParams.get("$filter") ?? NO_FILTER;
}

export interface FilterRoutes {
  /** Steps for createFakePloomes: one router per scripted answer. */
  readonly steps: PageStep[];
  /** Answers not asked for yet, by key (an empty object when the script was used up). */
  unused(): Record<string, number>;
}

/**
 * Steps that answer by what a request asks, not by when it arrives (lanes walking at once reach
 * the fake in microtask order): each request takes the next step scripted for its key
 * (requestKey); a request with no step left is an error naming the key.
 */
export function byFilter(routes: Readonly<Record<string, readonly PageStep[]>>): FilterRoutes {
  const queues = new Map(Object.entries(routes).map(([key, steps]) => [key, [...steps]]));
  const router: PageStep = (request) => {
    const key = requestKey(request);
    const step = queues.get(key)?.shift();
    if (step === undefined) throw new Error(`fake Ploomes: no answer scripted for ${key} (${request.path})`);
    return step(request);
  };
  const total = Object.values(routes).reduce((sum, steps) => sum + steps.length, 0);
  return {
    steps: Array.from({ length: total }, () => router),
    unused: () =>
      Object.fromEntries(
        [...queues].filter(([, steps]) => steps.length > 0).map(([key, steps]) => [key, steps.length]),
      ),
  };
}

/** A step that first awaits `during` (the test fires timers there), then answers with `then`. */
export const slow =
  (during: (request: PloomesRequest) => Promise<void>, then: PageStep): PageStep => async (request) => {
    await during(request);
    return then(request);
  };

/** Resolves never; rejects with the signal's reason once the request's signal aborts. */
export function untilAborted(request: PloomesRequest): Promise<never> {
  const signal = request.signal;
  if (signal === undefined) return Promise.reject(new Error("untilAborted: the request has no signal"));
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** A step that throws `error`. */
export const fails = (error: Error): PageStep => () => {
  throw error;
};

/** A step modelling a Ploomes that refuses the Products expansion: `error` when the path has it. */
export const refusingProducts = (error: Error, values: readonly unknown[]): PageStep => (request) => {
  if (request.path.includes("Products(")) throw error;
  return page(values)(request);
};

// ---------------------------------------------------------------- deals

export const DEAL_LAST_UPDATE = "2024-05-01T12:00:00.1234567-03:00";

/** A raw deal as Ploomes sends it, valid for dealSchema; `overrides` replace top-level fields. */
export function deal(id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Id: id,
    ContactId: 1000 + id,
    ContactName: `Deal contact ${id}`,
    StatusId: 2,
    Amount: 150.5,
    CreateDate: "2024-01-01T10:00:00-03:00",
    FinishDate: "2024-02-01T10:00:00Z",
    LastUpdateDate: DEAL_LAST_UPDATE,
    Contact: { Id: 1000 + id, Name: `Contact ${id}`, TypeId: 1, CNPJ: "12.345.678/0001-90", CPF: null },
    Products: [{
      Id: 9,
      ProductId: 77,
      Quantity: 2,
      UnitPrice: 10,
      Discount: 5,
      Total: 19,
      Product: { Id: 77, UnitPrice: 12 },
    }],
    ...overrides,
  };
}

export function deals(fromId: number, toId: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let id = fromId; id <= toId; id += 1) out.push(deal(id));
  return out;
}
