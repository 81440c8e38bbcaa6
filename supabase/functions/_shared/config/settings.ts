// What each variable holds: how it is parsed, its default or how to set it, why its range is what it
// is (as in docs/operations.md "Configuration"). A field of PLOOMES or SYNC fills that field of Config
// from the variable named after it: `requestsPerMinute` ← PLOOMES_REQUESTS_PER_MINUTE.

import { z } from "zod";
import { atLeast, choice, httpUrl, number, optional, required, text } from "./fields.ts";

const DEFAULT_BASE_URL = "https://public-api2.ploomes.com";
const GENERATE_SECRET = "generate one with: openssl rand -hex 24";

/** Where line items come from: `auto` decides at each full pass (sync/line-item-source.ts). */
const LINE_ITEM_SOURCES = ["auto", "deals", "orders", "quotes", "none"] as const;
export type LineItemsSetting = (typeof LINE_ITEM_SOURCES)[number];

// These two are needed whatever else is wrong: the HTTP entry checks the secret before
// authenticating, and a broken configuration is still recorded as a run if the database is reachable.
export const CRON_SECRET = required(
  atLeast(32, GENERATE_SECRET),
  `${GENERATE_SECRET}, then supabase secrets set CRON_SECRET=... (the same value goes into Vault as cron_secret)`,
);
export const SUPABASE_URL = required(
  httpUrl("https://<project-ref>.supabase.co"),
  "Supabase injects it into deployed functions; set it when running elsewhere",
);

export const PLOOMES = z.object({
  apiKey: required(
    text,
    "copy the User-Key from Ploomes > Settings > Integration > API, then supabase secrets set PLOOMES_API_KEY=...",
  ),
  baseUrl: optional(httpUrl(DEFAULT_BASE_URL), DEFAULT_BASE_URL),
  requestsPerMinute: number(
    { default: 90, integer: true, min: 1, max: 120, unit: "requests per minute" },
    "120 is the whole Ploomes account's limit, shared with every other integration",
  ),
  requestTimeoutMs: number({ default: 30_000, integer: true, min: 1_000, max: 120_000, unit: "milliseconds" }),
  pageSize: number(
    { default: 300, integer: true, min: 1, max: 300, unit: "records" },
    "Ploomes returns at most 300 records per page",
  ),
  lineItemsSource: choice(LINE_ITEM_SOURCES, "auto"),
});

export const SYNC = z.object({
  timeBudgetMs: number(
    { default: 120_000, integer: true, min: 1_000, max: 145_000, unit: "milliseconds" },
    "it must stay under the Edge Runtime's 150 s wall clock, leaving time to answer",
  ),
  cpuBudgetMs: number(
    { default: 800, integer: true, min: 10, max: 1_800, unit: "milliseconds of CPU" },
    "the Edge Runtime retires a worker after 1 s of CPU and kills it (546) at 2 s; 800 stops short of the first",
  ),
  fullEveryHours: number({ default: 168, integer: false, above: 0, unit: "hours" }),
  maxRejectRatio: number(
    { default: 0.01, integer: false, min: 0, max: 1, unit: "as a fraction" },
    "0.01 means a pass fails when more than 1 % of its deals are invalid",
  ),
  maxDeleteRatio: number(
    { default: 0.1, integer: false, min: 0, max: 1, unit: "as a fraction" },
    "0.1 means a full pass that would delete more than 10 % of the mirrored deals stops and asks for confirmation",
  ),
  overlapSeconds: number(
    { default: 300, integer: true, min: 0, max: 86_400, unit: "seconds" },
    "how far back each incremental pass re-reads; at most one day",
  ),
});
