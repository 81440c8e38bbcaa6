-- Recomputing customer_sales from the mirror: set-based SQL over the customers given (never a
-- loop in the Edge Function, whose CPU budget is 2 s). Metric definitions: docs/metrics.md.

-- Effective unit prices that differ from the catalog by more than this count as custom pricing.
create or replace function ploomes_sync.custom_price_tolerance() returns numeric
language sql immutable
set search_path = ''
as $$ select 0.005::numeric $$;

create or replace function ploomes_sync.recompute_customers(
  p_customer_ids bigint[],   -- customers to recompute; ignored when p_all
  p_all boolean,             -- recompute every customer (a completed full pass)
  p_refresh_at timestamptz   -- the completing run's time: last_sync_at and days_since_last_purchase
) returns table (inserted integer, updated integer, deleted integer, unchanged integer)
language plpgsql
set search_path = ''
as $$
declare
  v_targets bigint[];
  v_inserted integer;
  v_updated integer;
  v_deleted integer;
begin
  if p_all then
    select coalesce(array_agg(t.id), '{}') into v_targets from (
      select d.contact_id as id from ploomes_sync.deals d where d.contact_id is not null
      union
      select c.customer_id from public.customer_sales c
    ) t;
  else
    v_targets := coalesce(p_customer_ids, '{}');
  end if;

  -- Customers left with no deal disappear (the table holds customers with at least one deal).
  delete from public.customer_sales c
   where c.customer_id = any (v_targets)
     and not exists (select 1 from ploomes_sync.deals d where d.contact_id = c.customer_id);
  get diagnostics v_deleted = row_count;

  with target_deals as (
    select d.*, d.status_id = 2 as won
      from ploomes_sync.deals d
     where d.contact_id = any (v_targets)
  ),
  -- A won deal's revenue is the sum of its line totals; without line items, its Amount.
  deal_revenue as (
    select td.deal_id,
           case when jsonb_array_length(coalesce(td.line_items, '[]'::jsonb)) > 0
                then (select coalesce(sum((li ->> 'total')::numeric), 0) from jsonb_array_elements(td.line_items) li)
                else coalesce(td.amount, 0)
           end as revenue
      from target_deals td
     where td.won
  ),
  won_items as (
    select td.contact_id,
           (li ->> 'product_id')::bigint as product_id,
           (li ->> 'unit_price')::numeric * (1 - coalesce((li ->> 'discount')::numeric, 0) / 100) as effective_price,
           (li ->> 'catalog_unit_price')::numeric as catalog_price
      from target_deals td
      cross join lateral jsonb_array_elements(coalesce(td.line_items, '[]'::jsonb)) li
     where td.won
  ),
  item_metrics as (
    select wi.contact_id,
           coalesce(array_agg(distinct wi.product_id order by wi.product_id) filter (where wi.product_id is not null), '{}') as products,
           count(*) filter (
             where wi.catalog_price is not null
               and abs(wi.effective_price - wi.catalog_price) > ploomes_sync.custom_price_tolerance()
           )::integer as custom_priced
      from won_items wi
     group by wi.contact_id
  ),
  deal_metrics as (
    select td.contact_id,
           -- Name and document come from the most recently updated deal that carries them.
           (array_agg(coalesce(td.contact_display_name, td.contact_name) order by td.last_update_date desc, td.deal_id desc)
              filter (where coalesce(td.contact_display_name, td.contact_name) is not null))[1] as name,
           (array_agg(nullif(regexp_replace(
               case td.contact_type_id when 1 then td.contact_cnpj when 2 then td.contact_cpf
                    else coalesce(td.contact_cnpj, td.contact_cpf) end, '\D', '', 'g'), '')
              order by td.last_update_date desc, td.deal_id desc)
              filter (where coalesce(td.contact_cnpj, td.contact_cpf) is not null))[1] as document,
           count(*)::integer as total_deals,
           count(*) filter (where td.status_id = 2)::integer as won_deals,
           count(*) filter (where td.status_id = 1)::integer as open_deals,
           count(*) filter (where td.status_id = 3)::integer as lost_deals,
           coalesce(sum(td.amount) filter (where td.won), 0) as total_sales,
           coalesce(sum(dr.revenue), 0) as total_revenue,
           min(coalesce(td.finish_date, td.last_update_date)) filter (where td.won) as first_purchase,
           max(coalesce(td.finish_date, td.last_update_date)) filter (where td.won) as last_purchase
      from target_deals td
      left join deal_revenue dr on dr.deal_id = td.deal_id
     group by td.contact_id
  ),
  computed as (
    select dm.contact_id as customer_id,
           coalesce(dm.name, 'Contact ' || dm.contact_id) as customer_name,
           dm.document as customer_cnpj,
           round(dm.total_sales, 2) as total_sales,
           dm.total_deals, dm.won_deals, dm.open_deals, dm.lost_deals,
           round(dm.total_revenue, 2) as total_revenue,
           case when dm.won_deals = 0 then 0 else round(dm.total_sales / dm.won_deals, 2) end as average_deal_value,
           coalesce(im.products, '{}') as products_purchased,
           cardinality(coalesce(im.products, '{}')) as total_products,
           dm.first_purchase as first_purchase_date,
           dm.last_purchase as last_purchase_date,
           floor(extract(epoch from (p_refresh_at - dm.last_purchase)) / 86400)::integer as days_since_last_purchase,
           coalesce(im.custom_priced, 0) > 0 as has_custom_pricing,
           coalesce(im.custom_priced, 0) as pricing_history_count
      from deal_metrics dm
      left join item_metrics im on im.contact_id = dm.contact_id
  ),
  written as (
    insert into public.customer_sales as c (
      customer_id, customer_name, customer_cnpj, total_sales, total_deals, won_deals, open_deals,
      lost_deals, total_revenue, average_deal_value, products_purchased, total_products,
      first_purchase_date, last_purchase_date, days_since_last_purchase, has_custom_pricing,
      pricing_history_count, last_sync_at, created_at, updated_at)
    select x.customer_id, x.customer_name, x.customer_cnpj, x.total_sales, x.total_deals, x.won_deals,
           x.open_deals, x.lost_deals, x.total_revenue, x.average_deal_value, x.products_purchased,
           x.total_products, x.first_purchase_date, x.last_purchase_date, x.days_since_last_purchase,
           x.has_custom_pricing, x.pricing_history_count, p_refresh_at, p_refresh_at, p_refresh_at
      from computed x
    on conflict (customer_id) do update set
      customer_name = excluded.customer_name,
      customer_cnpj = excluded.customer_cnpj,
      total_sales = excluded.total_sales,
      total_deals = excluded.total_deals,
      won_deals = excluded.won_deals,
      open_deals = excluded.open_deals,
      lost_deals = excluded.lost_deals,
      total_revenue = excluded.total_revenue,
      average_deal_value = excluded.average_deal_value,
      products_purchased = excluded.products_purchased,
      total_products = excluded.total_products,
      first_purchase_date = excluded.first_purchase_date,
      last_purchase_date = excluded.last_purchase_date,
      days_since_last_purchase = excluded.days_since_last_purchase,
      has_custom_pricing = excluded.has_custom_pricing,
      pricing_history_count = excluded.pricing_history_count,
      last_sync_at = excluded.last_sync_at,
      updated_at = excluded.updated_at
    -- Rule: a row is rewritten only when a metric changed, so an unchanged customer keeps its
    -- updated_at. (last_sync_at and days_since_last_purchase move with the clock, not the data:
    -- ploomes_sync.confirm_rows refreshes them.)
    where (c.customer_name, c.customer_cnpj, c.total_sales, c.total_deals, c.won_deals, c.open_deals,
           c.lost_deals, c.total_revenue, c.average_deal_value, c.products_purchased, c.total_products,
           c.first_purchase_date, c.last_purchase_date, c.has_custom_pricing, c.pricing_history_count)
      is distinct from
          (excluded.customer_name, excluded.customer_cnpj, excluded.total_sales, excluded.total_deals,
           excluded.won_deals, excluded.open_deals, excluded.lost_deals, excluded.total_revenue,
           excluded.average_deal_value, excluded.products_purchased, excluded.total_products,
           excluded.first_purchase_date, excluded.last_purchase_date, excluded.has_custom_pricing,
           excluded.pricing_history_count)
    returning (c.xmax = 0) as was_inserted
  )
  select count(*) filter (where w.was_inserted)::integer, count(*) filter (where not w.was_inserted)::integer
    into v_inserted, v_updated
    from written w;

  inserted := v_inserted;
  updated := v_updated;
  deleted := v_deleted;
  unchanged := greatest(
    (select count(*)::integer from public.customer_sales c where c.customer_id = any (v_targets)) - v_inserted - v_updated, 0);
  return next;
end
$$;

-- Every completed run confirms every row (docs/metrics.md, last_sync_at): last_sync_at becomes the run's end and
-- days_since_last_purchase is refreshed against it. Neither is a metric change, so updated_at
-- and the run's customer counts ignore them; recompute_customers has already rewritten only the
-- customers whose metrics changed.
create or replace function ploomes_sync.confirm_rows(p_refresh_at timestamptz) returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_rows integer;
begin
  update public.customer_sales c
     set last_sync_at = p_refresh_at,
         days_since_last_purchase = floor(extract(epoch from (p_refresh_at - c.last_purchase_date)) / 86400)::integer
   where (c.last_sync_at, c.days_since_last_purchase) is distinct from
         (p_refresh_at, floor(extract(epoch from (p_refresh_at - c.last_purchase_date)) / 86400)::integer);
  get diagnostics v_rows = row_count;
  return v_rows;
end
$$;

revoke all on function ploomes_sync.custom_price_tolerance() from public, anon, authenticated;
revoke all on function ploomes_sync.recompute_customers(bigint[], boolean, timestamptz) from public, anon, authenticated;
revoke all on function ploomes_sync.confirm_rows(timestamptz) from public, anon, authenticated;
grant execute on function ploomes_sync.custom_price_tolerance() to service_role;
grant execute on function ploomes_sync.recompute_customers(bigint[], boolean, timestamptz) to service_role;
grant execute on function ploomes_sync.confirm_rows(timestamptz) to service_role;
