// Human-readable output of a sync: the run summary and the top customers by revenue.
import type { RunSummary } from "../../supabase/functions/_shared/db/rpc.ts";

type Body = Partial<RunSummary> & Record<string, unknown>;

const MS_PER_SECOND = 1000;

/** What an answer without a run says: a refusal before a run started (gateway, secret, config). */
const REFUSAL_FIELDS = ["message", "error", "hint"] as const;

export function formatSummary(body: Body): string {
  if (body.runId === undefined) {
    const lines = [`no run was started${typeof body.code === "string" ? ` (${body.code})` : ""}`];
    for (const field of REFUSAL_FIELDS) {
      if (body[field] !== undefined) lines.push(`  ${field}: ${String(body[field])}`);
    }
    return lines.join("\n");
  }
  const seconds = typeof body.durationMs === "number" ? (body.durationMs / MS_PER_SECOND).toFixed(1) : "?";
  const lines = [
    `run ${body.runId ?? "?"}: ${body.status ?? "?"} (${body.mode ?? "?"} pass${body.resumed ? ", resumed" : ""}${
      body.dryRun ? ", dry run" : ""
    }) in ${seconds} s`,
    `  Ploomes: ${body.pages ?? 0} pages, ${body.requests ?? 0} requests, ${body.retries ?? 0} retries, ${
      body.throttledWaits ?? 0
    } throttled waits`,
    `  deals:   ${body.dealsFetched ?? 0} fetched, ${body.dealsRejected ?? 0} rejected, ${
      body.dealsDeleted ?? 0
    } deleted`,
    `  customers: ${body.customersInserted ?? 0} inserted, ${body.customersUpdated ?? 0} updated, ${
      body.customersDeleted ?? 0
    } deleted, ${body.customersUnchanged ?? 0} unchanged`,
  ];
  if (typeof body.lineItemsSource === "string") {
    const documents = body.lineItemsSource === "orders" || body.lineItemsSource === "quotes"
      ? `, ${body.documentsFetched ?? 0} ${body.lineItemsSource} fetched, ${body.documentsDeleted ?? 0} deleted`
      : "";
    lines.splice(3, 0, `  line items: from ${body.lineItemsSource}${documents}`);
  }
  for (const warning of body.warnings ?? []) lines.push(`  warning: ${warning}`);
  if (body.status === "partial") lines.push("  the time budget ran out; the pass continues on the next invocation");
  if (body.error) lines.push(`  error: ${String(body.error)}`);
  if (body.hint) lines.push(`  hint:  ${String(body.hint)}`);
  return lines.join("\n");
}

export interface TopCustomer {
  customer_id: string;
  customer_name: string;
  total_revenue: string;
  won_deals: number;
  last_purchase_date: Date | null;
}

export function formatTopCustomers(rows: TopCustomer[]): string {
  if (rows.length === 0) return "customer_sales is empty.";
  const header = ["#", "customer", "name", "total_revenue", "won", "last purchase"];
  const table = rows.map((r, i) => [
    String(i + 1),
    r.customer_id,
    r.customer_name,
    r.total_revenue,
    String(r.won_deals),
    r.last_purchase_date ? r.last_purchase_date.toISOString().slice(0, 10) : "-",
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => (row[c] ?? "").length)));
  const render = (row: string[]) =>
    row.map((cell, c) => (c === 3 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join("  ");
  return [render(header), ...table.map(render)].join("\n");
}
