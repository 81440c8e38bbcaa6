// Everything the simulator holds between requests — data, settings, faults, held requests, row
// overrides, request log, rate windows, keys and webhooks — plus the resolved start options, and
// the reset that puts it all back to the seeded state. The HTTP handlers and the in-process API
// both act on this one object.

import { servedRow } from "./api.ts";
import { generateDataset } from "./data/generator.ts";
import { type EntityKind, Store } from "./data/store.ts";
import { FaultSchedule } from "./faults.ts";
import { HoldGate } from "./hold.ts";
import { DEFAULT_ACCOUNT, deriveApiKey, KeyRegistry, type KeySpec } from "./keys.ts";
import { RowOverrides } from "./overrides.ts";
import { SlidingWindowLimiter } from "./rate-limit.ts";
import { RequestLog } from "./request-log.ts";
import { DEFAULT_SETTINGS, parseSettingsPatch, type Settings, SettingsHolder } from "./settings.ts";
import { Webhooks } from "./webhooks.ts";

export interface DataOptions {
  /** Seed of every random choice (an unsigned 32-bit integer). Default 1. */
  readonly seed?: number;
  readonly contacts?: number;
  readonly products?: number;
  readonly deals?: number;
  /** ISO-8601 instant all generated dates precede; default derived from the seed (mid-2025). */
  readonly epoch?: string;
}

export interface StateOptions extends DataOptions {
  /**
   * Wall clock in ms since the epoch (default Date.now): the rate-limit window and the request log
   * use it, and admin mutations are never stamped earlier than it — Ploomes stamps LastUpdateDate
   * with its real clock, and a sync's cursor is wall-clock time.
   */
  readonly now?: () => number;
  /** The key the simulator accepts; default derived from the seed (128 uppercase hex characters). */
  readonly apiKey?: string;
  /** Account of apiKey. Default "simulated-account". */
  readonly account?: string;
  /** More keys, several per account if wanted; accounts share one rate-limit window. */
  readonly keys?: readonly KeySpec[];
  /** Shortcut for settings.rateLimitPerMinute. */
  readonly rpm?: number;
  /** Shortcut for settings.latencyMs. */
  readonly latencyMs?: number;
  /** Initial values of the behaviour settings (see settings.ts). */
  readonly settings?: Partial<Settings>;
}

export const DEFAULT_DATA = { seed: 1, contacts: 2000, products: 150, deals: 10_000 } as const;
const MAX_SEED = 0xffff_ffff;

export interface ResolvedData {
  readonly seed: number;
  readonly contacts: number;
  readonly products: number;
  readonly deals: number;
  readonly epoch: string | undefined;
}

function count(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`${name} must be a non-negative integer, got ${String(value)}`);
  }
  return n;
}

function resolveData(options: DataOptions): ResolvedData {
  const seed = options.seed ?? DEFAULT_DATA.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new Error(`seed must be an integer 0…${MAX_SEED}, got ${seed}`);
  }
  const products = count("products", options.products, DEFAULT_DATA.products);
  const deals = count("deals", options.deals, DEFAULT_DATA.deals);
  if (products === 0 && deals > 0) throw new Error("deals need at least one product for their line items");
  return {
    seed,
    contacts: count("contacts", options.contacts, DEFAULT_DATA.contacts),
    products,
    deals,
    epoch: options.epoch,
  };
}

export class SimState {
  store: Store;
  /** Milliseconds the last generation of the data took (reported by the CLI). */
  generationMs = 0;
  readonly data: ResolvedData;
  readonly apiKey: string;
  readonly account: string;
  readonly settings: SettingsHolder;
  readonly faults = new FaultSchedule();
  /** Requests parked by `hold` faults. */
  readonly held = new HoldGate();
  /** Raw values served in place of the stored ones (test devices, never validated). */
  readonly overrides = new RowOverrides();
  readonly limiter = new SlidingWindowLimiter();
  readonly log: RequestLog;
  readonly keys: KeyRegistry;
  /** Registrations of `POST /Webhooks` and the deliveries of deal mutations to them. */
  readonly webhooks: Webhooks;

  private readonly now: () => number;

  constructor(options: StateOptions) {
    this.now = options.now ?? Date.now;
    this.data = resolveData(options);
    this.apiKey = options.apiKey ?? deriveApiKey(this.data.seed);
    this.account = options.account ?? DEFAULT_ACCOUNT;
    const initial: Settings = {
      ...DEFAULT_SETTINGS,
      ...parseSettingsPatch({
        ...options.settings,
        ...(options.rpm === undefined ? {} : { rateLimitPerMinute: options.rpm }),
        ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
      }),
    };
    this.settings = new SettingsHolder(initial);
    this.log = new RequestLog(() => this.settings.get().requestLogLimit);
    this.keys = new KeyRegistry([{ key: this.apiKey, account: this.account }, ...(options.keys ?? [])]);
    this.webhooks = new Webhooks({
      now: this.now,
      settings: () => this.settings.get(),
      serveDeal: (row) => servedRow(this, "Deals", row),
    });
    this.store = this.generate();
  }

  private generate(): Store {
    const started = performance.now();
    const store = new Store(generateDataset(this.data), this.data.seed, this.now);
    this.generationMs = performance.now() - started;
    // On the store, not in the admin API or index.ts: every way a deal changes reaches the webhooks.
    store.onDealChange((change) => this.webhooks.dealChanged(change));
    return store;
  }

  /**
   * Back to the seeded state: data, settings, faults, overrides, request log, rate windows, keys
   * and webhooks (no registrations, an empty delivery log, pending deliveries cancelled). Held
   * requests are let go; they go on against the reset state.
   */
  reset(): void {
    this.webhooks.reset();
    this.store = this.generate();
    this.settings.reset();
    this.faults.clear();
    this.overrides.clear();
    this.held.releaseAll();
    this.log.clear();
    this.limiter.reset();
    this.keys.reset();
  }
}

/** Updates through the store with the live contact-name setting; shared by the admin API and index.ts. */
export function updateEntity(state: SimState, kind: EntityKind, id: number, body: unknown, bump: boolean) {
  return state.store.update(kind, id, body, { bump, propagation: state.settings.get().contactNamePropagation });
}
