// The data layer: what the runs say. The rules for "failing", "stale", "stuck" and "mass_delete"
// are the database's own (ploomes_sync.sync_problems, which the alert job reads too), so the
// doctor and the alerts never disagree; the doctor adds the warnings a person should see.
import type pg from "pg";
import { type Check, fail, ok, skip, warn } from "./check.ts";
import { NO_DATABASE } from "./database-checks.ts";

interface Problem {
  problem: "failing" | "stale" | "stuck" | "mass_delete";
  summary: string;
  last_error: string | null;
  fix: string;
}

async function problems(db: pg.Client): Promise<Problem[]> {
  const { rows } = await db.query<Problem>(
    "select problem, summary, last_error, fix from ploomes_sync.sync_problems()",
  );
  return rows;
}

function failWith(p: Problem) {
  return fail(p.last_error ? `${p.summary}; last error: ${p.last_error}` : p.summary, p.fix);
}

interface Health {
  last_success_at: Date | null;
  consecutive_failures: number;
  last_failure_error: string | null;
  last_failure_hint: string | null;
  last_run_status: string | null;
  pass_in_progress: boolean;
  running: boolean;
  rejected_deals: number;
  every: string;
  last_refresh: Date | null;
  customers: number;
}

async function health(db: pg.Client): Promise<Health> {
  const { rows } = await db.query<Health>(
    `select h.last_success_at, h.consecutive_failures, h.last_failure_error, h.last_failure_hint, h.last_run_status,
            h.pass_in_progress, h.running, h.rejected_deals, ploomes_sync.describe_interval(ploomes_sync.assumed_schedule_period()) as every,
            (select max(c.last_sync_at) from public.customer_sales c) as last_refresh,
            (select count(*)::integer from public.customer_sales) as customers
       from public.sync_health h`,
  );
  const row = rows[0];
  if (!row) throw new Error("public.sync_health returned no row (is ploomes_sync.state's singleton missing?)");
  return row;
}

const runs: Check = {
  id: "data.runs",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const failing = (await problems(context.db)).find((p) => p.problem === "failing");
    if (failing) return failWith(failing);
    const h = await health(context.db);
    if (h.consecutive_failures === 1) {
      return warn(
        `the last run failed: ${h.last_failure_error ?? "no error recorded"}`,
        h.last_failure_hint ?? "See docs/operations.md, Common failures.",
      );
    }
    if (h.last_run_status === null) {
      return warn("no sync has run yet", "select public.trigger_customer_sales_sync(); (or npm start locally)");
    }
    return ok(`the last run ${h.last_run_status}; no failure since the last success`);
  },
};

const freshness: Check = {
  id: "data.freshness",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const stale = (await problems(context.db)).find((p) => p.problem === "stale");
    if (stale) return failWith(stale);
    const h = await health(context.db);
    if (h.last_success_at === null) {
      return warn("no sync has succeeded yet", "select public.trigger_customer_sales_sync(); (or npm start locally)");
    }
    const refreshed = h.last_refresh ? `, rows refreshed at ${h.last_refresh.toISOString()}` : "";
    return ok(
      `last success ${h.last_success_at.toISOString()} (the schedule runs every ${h.every}); ${h.customers} customers${refreshed}`,
    );
  },
};

const pass: Check = {
  id: "data.pass",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const stuck = (await problems(context.db)).find((p) => p.problem === "stuck");
    if (stuck) return failWith(stuck);
    const { rows } = await context.db.query<{ id: string; mode: string; pages: number; started_at: Date }>(
      `select p.id::text, p.mode, p.pages, p.started_at from ploomes_sync.state s
         join ploomes_sync.passes p on p.id = s.current_pass_id where s.singleton`,
    );
    const current = rows[0];
    if (!current) return ok("no pass in progress");
    return ok(
      `${current.mode} pass ${current.id} in progress since ${current.started_at.toISOString()} (${current.pages} pages stored)`,
    );
  },
};

const lease: Check = {
  id: "data.lease",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const { rows } = await context.db.query<{ run_id: string; expires: Date; status: string | null; live: boolean }>(
      `select s.lease_run_id::text as run_id, s.lease_expires_at as expires, r.status, s.lease_expires_at > now() as live
         from ploomes_sync.state s left join ploomes_sync.runs r on r.id = s.lease_run_id
        where s.singleton and s.lease_run_id is not null`,
    );
    const held = rows[0];
    if (!held) return ok("no lease held");
    if (held.live) return ok(`run ${held.run_id} holds the lease until ${held.expires.toISOString()}`);
    return warn(
      `run ${held.run_id} (${
        held.status ?? "gone"
      }) left a lease that expired at ${held.expires.toISOString()}: its worker died`,
      "None: the next run takes the lease over and marks that run failed. To do it now: select public.trigger_customer_sales_sync();",
    );
  },
};

const rejects: Check = {
  id: "data.rejects",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const h = await health(context.db);
    if (h.rejected_deals === 0) return ok("no deal rejected");
    return warn(
      `${h.rejected_deals} deal(s) rejected: they count for no customer until Ploomes sends a valid version`,
      "select deal_id, field, reason from ploomes_sync.rejected_deals order by last_seen_at desc; then fix each deal in Ploomes (docs/operations.md, Rejected deals)",
    );
  },
};

const massDelete: Check = {
  id: "data.mass_delete",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const tripped = (await problems(context.db)).find((p) => p.problem === "mass_delete");
    if (tripped) return failWith(tripped);
    return ok("the mass-delete guard has not stopped the latest pass");
  },
};

/** Events waiting longer than this are not being drained (the per-minute job would have). */
const WEBHOOK_STALE_MINUTES = 15;

const webhooks: Check = {
  id: "data.webhooks",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const { rows } = await context.db.query<{ depth: number; oldest: Date | null; stale: boolean }>(
      `select h.webhook_queue_depth as depth, h.webhook_oldest_event_at as oldest,
              coalesce(h.webhook_oldest_event_at < now() - make_interval(mins => $1), false) as stale
         from public.sync_health h`,
      [WEBHOOK_STALE_MINUTES],
    );
    const queue = rows[0];
    if (!queue || queue.depth === 0) return ok("webhook queue empty");
    const summary = `${queue.depth} deal(s) announced by webhooks waiting since ${queue.oldest?.toISOString()}`;
    if (!queue.stale) return ok(summary);
    return warn(
      `${summary}: not drained for more than ${WEBHOOK_STALE_MINUTES} minutes`,
      "The per-minute job drains the queue unless the last run failed in the last 15 minutes (see data.runs); drain now: select public.trigger_customer_sales_sync();",
    );
  },
};

const alerts: Check = {
  id: "data.alerts",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const { rows } = await context.db.query<{ configured: boolean; open: string[] }>(
      `select ploomes_sync.alert_webhook_url() is not null as configured,
              array(select i.problem from ploomes_sync.incidents i where i.resolved_at is null order by i.id) as open`,
    );
    const row = rows[0];
    const open = row && row.open.length > 0 ? `; open incidents: ${row.open.join(", ")}` : "";
    if (!row?.configured) {
      return ok(
        `alerts off: no Vault alert_webhook_url (optional; docs/operations.md, Alerts)${open}`,
      );
    }
    return ok(`alerts on: incidents are posted to Vault alert_webhook_url (not shown)${open}`);
  },
};

export const DATA_CHECKS: readonly Check[] = [runs, freshness, pass, lease, rejects, massDelete, webhooks, alerts];
