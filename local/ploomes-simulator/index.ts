// Entry point for code: `startSimulator(options)` generates the data, listens on a port (0 = a
// random free one) and returns the address, the accepted key and in-process versions of the
// admin operations. Tests start one per file; the CLI wraps the same function.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { EntityKind, RawEntity, Snapshot } from "./data/store.ts";
import type { Fault, FaultSpec } from "./faults.ts";
import type { KeySpec } from "./keys.ts";
import type { OverrideFields, RowOverride } from "./overrides.ts";
import type { RequestLogEntry } from "./request-log.ts";
import { createHandler } from "./server.ts";
import type { Settings } from "./settings.ts";
import { SimState, type StateOptions, updateEntity } from "./state.ts";
import type { WebhookDelivery } from "./webhooks.ts";

export type { DocumentKind, EntityKind, RawEntity, Snapshot } from "./data/store.ts";
export type { Fault, FaultSpec } from "./faults.ts";
export type { KeySpec } from "./keys.ts";
export type { JsonValue, OverrideFields, RowOverride } from "./overrides.ts";
export type { RequestLogEntry } from "./request-log.ts";
export type { LineItemsOn, Settings } from "./settings.ts";
export type { WebhookAction, WebhookDelivery, WebhookRegistration } from "./webhooks.ts";

export interface SimulatorOptions extends StateOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  /** Interface to bind; default 127.0.0.1. */
  readonly host?: string;
  /** Clock in ms since the epoch (rate-limit window, request log). Default Date.now. */
  readonly now?: () => number;
  /** How latency is waited for. Default a real timer; tests can record and skip it. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface DataCounts {
  readonly contacts: number;
  readonly products: number;
  readonly deals: number;
  readonly orders: number;
  readonly quotes: number;
}

export interface Simulator {
  /** e.g. `http://127.0.0.1:54340` — use it as PLOOMES_BASE_URL. */
  readonly url: string;
  readonly port: number;
  /** The User-Key of the default account. */
  readonly apiKey: string;
  readonly account: string;
  /** Milliseconds the last data generation took. */
  readonly generationMs: number;
  stop(): Promise<void>;
  /** How many rows each set holds now; cheap, unlike snapshot() (which copies every row). */
  counts(): DataCounts;
  /**
   * Back to the seeded state: data, settings, faults, overrides, request log, rate windows, keys,
   * webhooks (registrations, delivery log, pending deliveries); releases held requests.
   */
  reset(): void;
  snapshot(): Snapshot;
  /** `kind` "orders" and "quotes" too: their rows carry their lines under `Products`. */
  get(kind: EntityKind, id: number): RawEntity;
  insert(kind: EntityKind, body: Record<string, unknown>): RawEntity;
  /** `bump` (default true) sets LastUpdateDate to the simulator's next "now". */
  update(kind: EntityKind, id: number, body: Record<string, unknown>, options?: { bump?: boolean }): RawEntity;
  remove(kind: EntityKind, id: number): RawEntity;
  settings(): Readonly<Settings>;
  updateSettings(patch: Partial<Settings>): Readonly<Settings>;
  addFault(spec: FaultSpec): Fault;
  faults(): Fault[];
  clearFaults(): void;
  /** Lets every request held by a `hold` fault go on; returns how many there were. */
  releaseHeld(): number;
  /** Requests currently held by `hold` faults. */
  heldCount(): number;
  /**
   * Serves `fields` (raw JSON, not validated) on that row wherever the API serves it, replacing its
   * override; `{"$remove": true}` deletes a key. Filtering, ordering and paging keep the stored values.
   */
  overrideRow(kind: EntityKind, id: number, fields: OverrideFields): RowOverride;
  /** Removes that row's override; false when it had none. */
  clearOverride(kind: EntityKind, id: number): boolean;
  overrides(): RowOverride[];
  requests(): RequestLogEntry[];
  clearRequests(): void;
  addKey(spec: KeySpec): void;
  /**
   * The webhook delivery log, oldest first (GET /__sim/webhooks/deliveries): one entry per attempt,
   * and one with attempt 0 per call dropped by webhookDropEvery.
   */
  webhookDeliveries(): WebhookDelivery[];
  /** Resolves once no webhook call is waiting (delay, retry) or in flight: what a test waits on instead of sleeping. */
  webhooksIdle(): Promise<void>;
}

const DEFAULT_HOST = "127.0.0.1";
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const state = new SimState(options);
  const host = options.host ?? DEFAULT_HOST;
  let url = "";
  const server = createServer(createHandler(state, {
    now: options.now ?? Date.now,
    sleep: options.sleep ?? realSleep,
    fallbackBaseUrl: () => url,
  }));
  await new Promise<void>((resolve, reject) => {
    server.once(
      "error",
      (error) =>
        reject(new Error(`Ploomes simulator could not listen on ${host}:${options.port ?? 0}: ${error.message}`)),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  return {
    url,
    port,
    apiKey: state.apiKey,
    account: state.account,
    get generationMs() {
      return state.generationMs;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        // Pending webhook timers and a call in flight would outlive the server otherwise.
        state.webhooks.stop();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets would hold close() open until they time out.
        server.closeAllConnections();
      }),
    counts: () => {
      const { store } = state;
      return {
        contacts: store.contacts.all().length,
        products: store.products.all().length,
        deals: store.deals.all().length,
        orders: store.orders.rows.all().length,
        quotes: store.quotes.rows.all().length,
      };
    },
    reset: () => state.reset(),
    snapshot: () => state.store.snapshot(),
    get: (kind, id) => state.store.get(kind, id),
    insert: (kind, body) => state.store.insert(kind, body),
    update: (kind, id, body, updateOptions) => updateEntity(state, kind, id, body, updateOptions?.bump ?? true),
    remove: (kind, id) => state.store.remove(kind, id),
    settings: () => state.settings.get(),
    updateSettings: (patch) => state.settings.update(patch),
    addFault: (spec) => state.faults.add(spec),
    faults: () => state.faults.pending(),
    clearFaults: () => state.faults.clear(),
    releaseHeld: () => state.held.releaseAll(),
    heldCount: () => state.held.count(),
    overrideRow: (kind, id, fields) => state.overrides.set(kind, id, fields),
    clearOverride: (kind, id) => state.overrides.remove(kind, id) !== undefined,
    overrides: () => state.overrides.list(),
    requests: () => state.log.list(),
    clearRequests: () => state.log.clear(),
    addKey: (spec) => state.keys.add(spec),
    webhookDeliveries: () => state.webhooks.deliveries(),
    webhooksIdle: () => state.webhooks.idle(),
  };
}
