// The delivery layer: what became of the requests pg_net sent to the function (the ids are in
// ploomes_sync.sync_requests; pg_net keeps each outcome 6 hours). The latest outcome is explained
// by its status: a 401 is a secret mismatch, a 404 a function that is not there, a timeout or a
// connection error a URL that leads nowhere.
import { type Check, fail, ok, skip, warn } from "./check.ts";
import { NO_DATABASE } from "./database-checks.ts";

/** A request pg_net has not answered after this long means its worker is not taking requests. */
const STUCK_IN_QUEUE_SECONDS = 180;
/** How much of a response body a summary quotes. */
const QUOTED_BODY_MAX = 200;

export interface Delivery {
  request_id: string;
  trigger: string;
  queued_at: Date;
  queued: boolean;
  answered: boolean;
  status_code: number | null;
  timed_out: boolean | null;
  error_msg: string | null;
  content: string | null;
}

const SECRET_FIX =
  "Make Vault cron_secret equal to the function's CRON_SECRET: select vault.update_secret(id, '<CRON_SECRET>') from vault.secrets where name = 'cron_secret'; (docs/deploy.md, rotating the secret)";

/** What a status means here, and whether it stops the sync from running at all. */
export function explainDelivery(d: Delivery): { verdict: "ok" | "warn" | "fail"; meaning: string; fix: string } {
  const body = (d.content ?? "").slice(0, QUOTED_BODY_MAX);
  if (d.timed_out) {
    return {
      verdict: "fail",
      meaning: "timed out: the function did not answer within pg_net's timeout",
      fix: "Check that Vault project_url is this project's URL and the function is deployed (function.reachable).",
    };
  }
  if (d.status_code === null) {
    return {
      verdict: "fail",
      meaning: `not delivered: ${d.error_msg ?? "no status"}`,
      fix: "Check Vault project_url (schedule.vault) and that the function answers there (function.reachable).",
    };
  }
  const status = d.status_code;
  if (status === 200 || status === 409) return { verdict: "ok", meaning: `${status}`, fix: "" };
  if (status === 401) return { verdict: "fail", meaning: "401: the function refused the cron secret", fix: SECRET_FIX };
  if (status === 404) {
    return {
      verdict: "fail",
      meaning: "404: no function sync-customer-sales at Vault project_url",
      fix: "npx supabase functions deploy sync-customer-sales, and check Vault project_url.",
    };
  }
  if (status === 502) {
    return { verdict: "warn", meaning: `502: the run failed (see data.runs): ${body}`, fix: "See data.runs." };
  }
  if (status === 546) {
    return {
      verdict: "warn",
      meaning: "546: the Edge Runtime stopped the worker (CPU, memory or wall clock); the next run takes over",
      fix: "If it repeats, lower SYNC_CPU_BUDGET_MS (docs/operations.md).",
    };
  }
  return {
    verdict: "warn",
    meaning: `${status}: ${body}`,
    fix:
      "A 500 is a configuration error (see function.config); other 5xx come from the platform: retried by the next tick.",
  };
}

const responses: Check = {
  id: "delivery.responses",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const { rows } = await context.db.query<Delivery>(
      `select r.request_id::text, r.trigger, r.queued_at,
              exists (select 1 from net.http_request_queue q where q.id = r.request_id) as queued,
              h.id is not null as answered, h.status_code, h.timed_out, h.error_msg, h.content
         from ploomes_sync.sync_requests r left join net._http_response h on h.id = r.request_id
        order by r.request_id desc limit 20`,
    );
    const stuck = rows.filter((d) => d.queued && Date.now() - d.queued_at.getTime() > STUCK_IN_QUEUE_SECONDS * 1000);
    if (stuck.length > 0) {
      return fail(
        `${stuck.length} request(s) waiting in net.http_request_queue for more than ${STUCK_IN_QUEUE_SECONDS} s`,
        "pg_net's worker is not sending: select net.worker_restart(); (or restart the project)",
      );
    }
    const latest = rows.find((d) => d.answered);
    if (!latest) {
      return ok(
        rows.length === 0 ? "no request sent to the function in the last day" : "requests queued, none answered yet",
      );
    }
    const { verdict, meaning, fix } = explainDelivery(latest);
    const summary =
      `latest answer (request ${latest.request_id}, ${latest.trigger}, ${latest.queued_at.toISOString()}): ${meaning}`;
    if (verdict === "fail") return fail(summary, fix);
    if (verdict === "warn") return warn(summary, fix);
    return ok(summary);
  },
};

export const DELIVERY_CHECKS: readonly Check[] = [responses];
