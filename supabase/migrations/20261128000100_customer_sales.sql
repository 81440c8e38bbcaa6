-- public.customer_sales: one row of sales metrics per Ploomes contact that has at least one deal.
-- Column names, order and meaning are the contract with dashboards (docs/metrics.md). Only the
-- sync (service_role, through the SQL API) writes it; signed-in users may read it.

create table if not exists public.customer_sales (
  customer_id bigint primary key,
  customer_name text not null,
  customer_cnpj text,
  total_sales numeric(15, 2) not null default 0,
  total_deals integer not null default 0,
  won_deals integer not null default 0,
  open_deals integer not null default 0,
  lost_deals integer not null default 0,
  total_revenue numeric(15, 2) not null default 0,
  average_deal_value numeric(15, 2) not null default 0,
  products_purchased bigint[] not null default '{}',
  total_products integer not null default 0,
  first_purchase_date timestamptz,
  last_purchase_date timestamptz,
  days_since_last_purchase integer,
  has_custom_pricing boolean not null default false,
  pricing_history_count integer not null default 0,
  last_sync_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.customer_sales is
  'Sales metrics per Ploomes customer (contact), kept in step with Ploomes deals by the sync-customer-sales Edge Function. Read-only for dashboards; see docs/metrics.md.';
comment on column public.customer_sales.customer_id is 'Ploomes ContactId of the customer''s deals.';
comment on column public.customer_sales.customer_name is 'The contact''s Name in Ploomes (fallback: the deal''s ContactName, then "Contact <id>").';
comment on column public.customer_sales.customer_cnpj is 'Digits only: CNPJ for companies (TypeId 1), CPF for people (TypeId 2); null when absent.';
comment on column public.customer_sales.total_sales is 'Sum of Amount over won deals (StatusId 2).';
comment on column public.customer_sales.total_deals is 'Number of deals of the customer, in any status.';
comment on column public.customer_sales.won_deals is 'Number of won deals (StatusId 2).';
comment on column public.customer_sales.open_deals is 'Number of open deals (StatusId 1).';
comment on column public.customer_sales.lost_deals is 'Number of lost deals (StatusId 3).';
comment on column public.customer_sales.total_revenue is 'Sum over won deals of their line-item totals; a won deal without line items counts its Amount.';
comment on column public.customer_sales.average_deal_value is 'total_sales / won_deals; 0 when there is no won deal.';
comment on column public.customer_sales.products_purchased is 'Sorted distinct Ploomes ProductIds of the line items of won deals; {} when none.';
comment on column public.customer_sales.total_products is 'cardinality(products_purchased).';
comment on column public.customer_sales.first_purchase_date is 'Earliest FinishDate of a won deal (LastUpdateDate when a won deal has no FinishDate); null without won deals.';
comment on column public.customer_sales.last_purchase_date is 'Latest FinishDate of a won deal (LastUpdateDate when a won deal has no FinishDate); null without won deals.';
comment on column public.customer_sales.days_since_last_purchase is 'Whole days from last_purchase_date to the last refresh (every completed sync); null without a purchase.';
comment on column public.customer_sales.has_custom_pricing is 'pricing_history_count > 0.';
comment on column public.customer_sales.pricing_history_count is 'Won-deal line items whose effective unit price UnitPrice × (1 − Discount/100) differs from the product''s catalog UnitPrice by more than 0.005.';
comment on column public.customer_sales.last_sync_at is 'End of the last completed sync run that confirmed this row.';
comment on column public.customer_sales.created_at is 'When the row was first inserted.';
comment on column public.customer_sales.updated_at is 'Last change of any metric (rows whose metrics did not change are not rewritten).';

-- Dashboard sorts and look-ups.
create index if not exists customer_sales_total_revenue_idx on public.customer_sales (total_revenue desc);
create index if not exists customer_sales_last_purchase_date_idx on public.customer_sales (last_purchase_date desc);
create index if not exists customer_sales_days_since_last_purchase_idx on public.customer_sales (days_since_last_purchase);
create index if not exists customer_sales_customer_cnpj_idx on public.customer_sales (customer_cnpj);

-- Least privilege: new public tables are granted to anon/authenticated by default on Supabase;
-- take that back, then let signed-in users read. No write policy: only service_role (which
-- bypasses RLS) writes, through the sync's SQL API.
alter table public.customer_sales enable row level security;
revoke all on table public.customer_sales from anon, authenticated;
grant select on table public.customer_sales to authenticated;
grant select, insert, update, delete on table public.customer_sales to service_role;

drop policy if exists customer_sales_select_authenticated on public.customer_sales;
create policy customer_sales_select_authenticated on public.customer_sales
  for select to authenticated
  using (true);
