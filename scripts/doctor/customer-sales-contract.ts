// The columns of public.customer_sales that dashboards read (docs/metrics.md): name, type as
// Postgres' format_type spells it, and the definition that adds the column back if it is lost.
export interface ContractColumn {
  readonly name: string;
  readonly type: string;
  readonly definition: string;
}

const column = (name: string, type: string, definition = type): ContractColumn => ({ name, type, definition });
const MONEY = "numeric(15,2)";
const TIME = "timestamp with time zone";

export const CUSTOMER_SALES_COLUMNS: readonly ContractColumn[] = [
  column("customer_id", "bigint", "bigint primary key"),
  column("customer_name", "text", "text not null default ''"),
  column("customer_cnpj", "text"),
  column("total_sales", MONEY, `${MONEY} not null default 0`),
  column("total_deals", "integer", "integer not null default 0"),
  column("won_deals", "integer", "integer not null default 0"),
  column("open_deals", "integer", "integer not null default 0"),
  column("lost_deals", "integer", "integer not null default 0"),
  column("total_revenue", MONEY, `${MONEY} not null default 0`),
  column("average_deal_value", MONEY, `${MONEY} not null default 0`),
  column("products_purchased", "bigint[]", "bigint[] not null default '{}'"),
  column("total_products", "integer", "integer not null default 0"),
  column("first_purchase_date", TIME),
  column("last_purchase_date", TIME),
  column("days_since_last_purchase", "integer"),
  column("has_custom_pricing", "boolean", "boolean not null default false"),
  column("pricing_history_count", "integer", "integer not null default 0"),
  column("last_sync_at", TIME),
  column("created_at", TIME, `${TIME} not null default now()`),
  column("updated_at", TIME, `${TIME} not null default now()`),
];

export interface ActualColumn {
  readonly name: string;
  readonly type: string;
}

export interface ContractDrift {
  /** One sentence per contract column that is missing, renamed or of another type. */
  readonly problems: string[];
  /** The SQL that repairs each problem, in the same order. */
  readonly fixes: string[];
  /** Columns the contract does not know (and that do not look like a renamed one). */
  readonly extra: string[];
}

/**
 * How a table's columns differ from the contract. A missing column whose type matches an extra
 * column is reported as renamed (the usual hand edit), with the rename that undoes it.
 */
export function compareWithContract(
  actual: readonly ActualColumn[],
  contract: readonly ContractColumn[],
): ContractDrift {
  const types = new Map(actual.map((c) => [c.name, c.type]));
  const known = new Set(contract.map((c) => c.name));
  const extra = actual.filter((c) => !known.has(c.name));
  const problems: string[] = [];
  const fixes: string[] = [];
  for (const column of contract) {
    const type = types.get(column.name);
    if (type === column.type) continue;
    if (type !== undefined) {
      problems.push(`column ${column.name} is ${type}, the contract says ${column.type}`);
      fixes.push(`alter table public.customer_sales alter column ${column.name} type ${column.type};`);
      continue;
    }
    const renamed = extra.find((c) => c.type === column.type);
    if (renamed) {
      extra.splice(extra.indexOf(renamed), 1);
      problems.push(`column ${column.name} (${column.type}) is missing; ${renamed.name} looks like it, renamed`);
      fixes.push(`alter table public.customer_sales rename column ${renamed.name} to ${column.name};`);
    } else {
      problems.push(`column ${column.name} (${column.type}) is missing`);
      fixes.push(`alter table public.customer_sales add column ${column.name} ${column.definition};`);
    }
  }
  return { problems, fixes, extra: extra.map((c) => c.name) };
}
