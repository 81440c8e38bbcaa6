// The schema layer: public.customer_sales as dashboards expect it (the contract), and who may read
// what (RLS everywhere, nothing for anon, the sync's private schema closed to the API roles).
import { type Check, fail, ok, skip } from "./check.ts";
import { compareWithContract, CUSTOMER_SALES_COLUMNS } from "./customer-sales-contract.ts";
import { NO_DATABASE } from "./database-checks.ts";

/** After the table is repaired, a full pass refills every column. */
const REFILL = "select public.trigger_customer_sales_sync('full');";

const customerSales: Check = {
  id: "schema.customer_sales",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const { rows } = await context.db.query<{ name: string; type: string }>(
      `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
         from pg_attribute a
        where a.attrelid = to_regclass('public.customer_sales') and a.attnum > 0 and not a.attisdropped
        order by a.attnum`,
    );
    if (rows.length === 0) {
      return fail(
        "public.customer_sales does not exist",
        "Apply the migrations (they create it): see database.migrations, then " + REFILL,
      );
    }
    const drift = compareWithContract(rows, CUSTOMER_SALES_COLUMNS);
    if (drift.problems.length === 0) {
      const note = drift.extra.length > 0 ? `; extra columns (not written by the sync): ${drift.extra.join(", ")}` : "";
      return ok(`all ${CUSTOMER_SALES_COLUMNS.length} contract columns present with their types${note}`);
    }
    return fail(drift.problems.join("; "), `${drift.fixes.join(" ")} Then ${REFILL}`);
  },
};

/** Relations only the sync (service_role) and signed-in readers may see, by the migrations' grants. */
const API_RELATIONS = ["public.customer_sales", "public.customer_sales_masked", "public.sync_health"] as const;

const access: Check = {
  id: "schema.access",
  async run(context) {
    if (!context.db) return skip(NO_DATABASE);
    const findings: { problem: string; fix: string }[] = [];
    const noRls = await context.db.query<{ name: string }>(
      `select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname in ('public', 'ploomes_sync') and not c.relrowsecurity
        order by 1`,
    );
    for (const r of noRls.rows) {
      findings.push({ problem: `RLS is off on ${r.name}`, fix: `alter table ${r.name} enable row level security;` });
    }
    const anonReads = await context.db.query<{ name: string }>(
      `select r.name from unnest($1::text[]) as r(name)
        where to_regclass(r.name) is not null and has_table_privilege('anon', r.name, 'select')`,
      [API_RELATIONS],
    );
    for (const r of anonReads.rows) {
      findings.push({ problem: `anon may read ${r.name}`, fix: `revoke all on ${r.name} from anon;` });
    }
    const privateSchema = await context.db.query<{ role: string }>(
      `select r.role from unnest(array['anon', 'authenticated']) as r(role)
        where has_schema_privilege(r.role, 'ploomes_sync', 'create')
           or exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                       where n.nspname = 'ploomes_sync' and c.relkind in ('r', 'p')
                         and has_table_privilege(r.role, c.oid, 'select,insert,update,delete'))`,
    );
    for (const r of privateSchema.rows) {
      findings.push({
        problem: `${r.role} may touch tables of ploomes_sync`,
        fix: `revoke all on all tables in schema ploomes_sync from ${r.role};`,
      });
    }
    if (findings.length === 0) {
      return ok("RLS on every table; anon reads nothing; ploomes_sync closed to the API roles");
    }
    return fail(findings.map((f) => f.problem).join("; "), findings.map((f) => f.fix).join(" "));
  },
};

export const SCHEMA_CHECKS: readonly Check[] = [customerSales, access];
