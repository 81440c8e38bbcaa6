// The answer to a configuration check ({"check": true}): the effective settings a sync would run with,
// so that a caller (npm run doctor) sees the defaults applied without starting a run. Each field is
// copied by name rather than by spreading the config: a secret added to Config later must not leak here
// by default. Left out on purpose: the Ploomes key, CRON_SECRET, and everything about the database.
import type { Config, LineItemsSetting } from "../config/config.ts";

export interface CheckReport {
  readonly check: "ok";
  readonly ploomesBaseUrl: string;
  readonly requestsPerMinute: number;
  readonly pageSize: number;
  readonly requestTimeoutMs: number;
  readonly lineItemsSource: LineItemsSetting;
  readonly timeBudgetMs: number;
  readonly cpuBudgetMs: number;
  readonly fullEveryHours: number;
  readonly overlapSeconds: number;
  readonly maxRejectRatio: number;
  readonly maxDeleteRatio: number;
}

export function checkReport({ ploomes, sync }: Config): CheckReport {
  return {
    check: "ok",
    ploomesBaseUrl: ploomes.baseUrl,
    requestsPerMinute: ploomes.requestsPerMinute,
    pageSize: ploomes.pageSize,
    requestTimeoutMs: ploomes.requestTimeoutMs,
    lineItemsSource: ploomes.lineItemsSource,
    timeBudgetMs: sync.timeBudgetMs,
    cpuBudgetMs: sync.cpuBudgetMs,
    fullEveryHours: sync.fullEveryHours,
    overlapSeconds: sync.overlapSeconds,
    maxRejectRatio: sync.maxRejectRatio,
    maxDeleteRatio: sync.maxDeleteRatio,
  };
}
