// Invoking the function through the local gateway (the path pg_net takes), with progress read
// from ploomes_sync.runs while it runs, and the top customers afterwards.
import pg from "pg";
import { requireStackKeys } from "../../local/stack/keys.ts";
import { DB_URL, GATEWAY_URL } from "../../local/stack/paths.ts";
import type { TopCustomer } from "./summary.ts";

export const FUNCTION_PATH = "/functions/v1/sync-customer-sales";
const PROGRESS_INTERVAL_MS = 500;

export interface SyncCall {
  status: number;
  body: Record<string, unknown>;
}

export interface CallOptions {
  /** The secret sent as x-cron-secret: the stack's CRON_SECRET by default, none when null. */
  secret?: string | null;
  method?: "POST" | "GET";
  headers?: Record<string, string>;
}

/** One call of the function through the gateway; a body given as a string is sent verbatim. */
export async function callFunction(
  body: Record<string, unknown> | string,
  options: CallOptions = {},
): Promise<SyncCall> {
  const secret = options.secret === undefined ? requireStackKeys().CRON_SECRET : options.secret;
  const method = options.method ?? "POST";
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (secret !== null) headers["x-cron-secret"] = secret;
  const response = await fetch(`${GATEWAY_URL}${FUNCTION_PATH}`, {
    method,
    headers,
    body: method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    // Not JSON (e.g. a proxy error page): keep it for the caller's message.
    return { status: response.status, body: { error: `non-JSON answer: ${text.slice(0, 300)}` } };
  }
}

/**
 * A pass from its first invocation to the one that answers `succeeded`, each invoked at once after
 * the previous one (as the continuation job would, without waiting for its next minute); at most
 * `maxInvocations`. Returns every call, for the caller to read its figures.
 */
export async function passToEnd(first: Record<string, unknown>, maxInvocations: number): Promise<SyncCall[]> {
  const calls = [await callFunction(first)];
  while (calls.length < maxInvocations && calls.at(-1)?.body["status"] !== "succeeded") {
    calls.push(await callFunction({ mode: "auto", trigger: "continue" }));
  }
  return calls;
}

/** Prints the running run's figures every half second until `done` settles. */
export async function withProgress<T>(done: Promise<T>, write: (line: string) => void): Promise<T> {
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  let finished = false;
  let last = "";
  const ticker = (async () => {
    while (!finished) {
      await new Promise((resolve) => setTimeout(resolve, PROGRESS_INTERVAL_MS));
      if (finished) break;
      const { rows } = await db.query<{ id: string; mode: string | null; pages: number; deals_fetched: number }>(
        "select id, mode, pages, deals_fetched from ploomes_sync.runs where status = 'running' order by id desc limit 1",
      );
      const run = rows[0];
      const line = run
        ? `  … run ${run.id} (${run.mode ?? "?"}): ${run.pages} pages, ${run.deals_fetched} deals stored`
        : "";
      if (line !== "" && line !== last) write(line);
      last = line;
    }
  })();
  try {
    return await done;
  } finally {
    finished = true;
    await ticker;
    await db.end();
  }
}

export async function topCustomers(limit: number): Promise<TopCustomer[]> {
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  try {
    const { rows } = await db.query<TopCustomer>(
      `select customer_id, customer_name, total_revenue, won_deals, last_purchase_date
         from public.customer_sales order by total_revenue desc, customer_id limit $1`,
      [limit],
    );
    return rows;
  } finally {
    await db.end();
  }
}
