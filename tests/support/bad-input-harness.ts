// Plumbing for the bad-input matrix (tests/integration/bad-input-*.test.ts): a "foreign host"
// that records any request sent to it (a nextLink or redirect target that must never see the
// User-Key), and the invariant checks every case ends with — nothing outside the touched deals
// changed, and mirror = source after the bad input is gone. Expected values come from the
// simulator's raw snapshot through tests/support/expected-sales.ts, never from the code under test.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { expectedCustomerSales } from "./expected-sales.ts";

type Raw = Record<string, unknown>;

export interface ForeignHost {
  readonly url: string;
  readonly requests: IncomingHttpHeaders[];
  stop(): Promise<void>;
}

/** An HTTP server on another port (another origin) that answers 200 `{"value": []}` and records headers. */
export async function startForeignHost(): Promise<ForeignHost> {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    res.writeHead(200, { "content-type": "application/json" }).end('{"value":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Columns that move with the clock or the pass, not with the data. */
const CLOCK_COLUMNS = "last_sync_at, days_since_last_purchase";

export interface StoredState {
  readonly customers: Map<number, string>;
  readonly deals: Map<number, string>;
}

/** customer_sales and the mirror, one canonical text per row (clock and pass columns left out). */
export async function readStoredState(db: pg.Client): Promise<StoredState> {
  const customers = await db.query<{ id: string; row: string }>(
    `select customer_id::text as id, (to_jsonb(c) - array[${
      CLOCK_COLUMNS.split(", ").map((c) => `'${c}'`).join(", ")
    }])::text as row
       from public.customer_sales c`,
  );
  const deals = await db.query<{ id: string; row: string }>(
    "select deal_id::text as id, (to_jsonb(d) - array['seen_pass_id', 'synced_at'])::text as row from ploomes_sync.deals d",
  );
  return {
    customers: new Map(customers.rows.map((r) => [Number(r.id), r.row])),
    deals: new Map(deals.rows.map((r) => [Number(r.id), r.row])),
  };
}

/** Ids whose row differs between two states (added, removed or changed). */
export function changedIds(before: Map<number, string>, after: Map<number, string>): number[] {
  const ids = new Set([...before.keys(), ...after.keys()]);
  return [...ids].filter((id) => before.get(id) !== after.get(id)).sort((a, b) => a - b);
}

/** The contacts of `dealIds` in any of the given snapshots (a deal may have moved between them). */
export function contactsOf(dealIds: readonly number[], ...snapshots: { deals: unknown[] }[]): Set<number> {
  const wanted = new Set(dealIds);
  const contacts = new Set<number>();
  for (const snapshot of snapshots) {
    for (const deal of snapshot.deals as Raw[]) {
      if (wanted.has(deal.Id as number) && typeof deal.ContactId === "number") contacts.add(deal.ContactId);
    }
  }
  return contacts;
}

export interface Convergence {
  /** Source deals missing from the mirror plus mirror deals the source does not have. */
  readonly rowsLost: number;
  /** Deals whose mirrored status, contact or amount differ from the source. */
  readonly dealsDiffering: number[];
  /** Customers whose row differs from the independently computed one. */
  readonly customersDiffering: number[];
  readonly rejectedLeft: number;
}

/** Compares the mirror and customer_sales with the simulator's data, computed independently. */
export async function compareWithSource(db: pg.Client, sim: Simulator): Promise<Convergence> {
  const snapshot = sim.snapshot();
  const source = new Map((snapshot.deals as Raw[]).map((d) => [d.Id as number, d]));
  const mirror = await db.query<
    { deal_id: string; contact_id: string | null; status_id: number; amount: string | null; last_update_raw: string }
  >(
    "select deal_id, contact_id, status_id, amount::text as amount, last_update_raw from ploomes_sync.deals",
  );
  const mirrored = new Set(mirror.rows.map((r) => Number(r.deal_id)));
  const rowsLost = [...source.keys()].filter((id) => !mirrored.has(id)).length +
    [...mirrored].filter((id) => !source.has(id)).length;
  const dealsDiffering = mirror.rows.filter((row) => {
    const deal = source.get(Number(row.deal_id));
    if (deal === undefined) return false;
    const amount = deal.Amount === null ? null : Number(deal.Amount);
    return (row.contact_id === null ? null : Number(row.contact_id)) !== deal.ContactId ||
      row.status_id !== deal.StatusId ||
      (row.amount === null ? null : Number(row.amount)) !== amount || row.last_update_raw !== deal.LastUpdateDate;
  }).map((row) => Number(row.deal_id));

  const expected = expectedCustomerSales(snapshot);
  const { rows } = await db.query<Raw>(
    `select customer_id::bigint::float8 as customer_id, customer_name, customer_cnpj, total_sales::text, total_deals, won_deals,
            open_deals, lost_deals, total_revenue::text, average_deal_value::text, products_purchased::float8[] as products_purchased,
            total_products, has_custom_pricing, pricing_history_count,
            -- Date.parse keeps whole milliseconds of Ploomes' 7-digit fractions.
            floor(extract(epoch from first_purchase_date) * 1000)::float8 as first_purchase_ms,
            floor(extract(epoch from last_purchase_date) * 1000)::float8 as last_purchase_ms
       from public.customer_sales`,
  );
  const actual = new Map(rows.map((r) => [r.customer_id as number, r]));
  const ids = new Set([...expected.keys(), ...actual.keys()]);
  const customersDiffering = [...ids].filter((id) => {
    const want = expected.get(id);
    const got = actual.get(id);
    if (want === undefined || got === undefined) return true;
    return Object.entries(want).some(([key, value]) => JSON.stringify(got[key]) !== JSON.stringify(value));
  });
  const rejected = await db.query<{ n: number }>("select count(*)::int as n from ploomes_sync.rejected_deals");
  return { rowsLost, dealsDiffering, customersDiffering, rejectedLeft: rejected.rows[0]?.n ?? -1 };
}
