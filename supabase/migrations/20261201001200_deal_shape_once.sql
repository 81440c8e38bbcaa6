-- The deal's SQL shape, defined once. A page's deals (sync_ingest_page's p_deals) are read by name
-- into the composite type ploomes_sync.deal_row (jsonb_populate_recordset), which is also the
-- mirror's column order, so storing a deal no longer spells its columns out in every statement;
-- "did it change" compares the two as jsonb, minus bookkeeping. contact_display_name goes: the
-- sync never knew it (the contact's Name arrives as contact_name), so it was null in every row.

-- The stored mirror versions keep their values: the name a display name held is the name.
do $$
begin
  if exists (select 1 from pg_attribute a where a.attrelid = 'ploomes_sync.deals'::regclass
                and a.attname = 'contact_display_name' and not a.attisdropped) then
    update ploomes_sync.deals set contact_name = contact_display_name where contact_display_name is not null;
  end if;
end
$$;

drop function if exists ploomes_sync.parse_deals(jsonb);
drop function if exists ploomes_sync.deal_values(bigint, text, text, integer, text, text, integer, numeric, timestamptz,
                                                 timestamptz, timestamptz, jsonb);
alter table ploomes_sync.deals drop column if exists contact_display_name;

-- One deal of a page, as sync_ingest_page receives it (keys by name; unknown keys are ignored).
-- Its attributes are the mirror's first columns, in the same order (checked below).
create type ploomes_sync.deal_row as (
  id bigint,
  contact_id bigint,
  contact_name text,
  contact_type_id integer,
  contact_cnpj text,
  contact_cpf text,
  status_id integer,
  amount numeric,
  create_date timestamptz,
  finish_date timestamptz,
  last_update_date timestamptz,
  last_update_raw text,
  -- [{product_id, quantity, unit_price, discount, total, catalog_unit_price}]; null = not fetched.
  line_items jsonb
);
comment on type ploomes_sync.deal_row is
  'One deal of a sync_ingest_page payload; its attributes are the first columns of ploomes_sync.deals, in order.';

-- Rule: store_deals inserts a deal_row positionally, so the mirror must begin with its attributes.
do $$
begin
  if (select array_agg(a.attname::text || ' ' || format_type(a.atttypid, a.atttypmod) order by a.attnum)
        from pg_attribute a where a.attrelid = 'ploomes_sync.deal_row'::regclass and a.attnum > 0)
     is distinct from
     (select array_agg(x.c order by x.n) from (
        select replace(a.attname::text, 'deal_id', 'id') || ' ' || format_type(a.atttypid, a.atttypmod) as c, a.attnum as n
          from pg_attribute a
         where a.attrelid = 'ploomes_sync.deals'::regclass and a.attnum > 0 and not a.attisdropped
         order by a.attnum limit (select count(*) from pg_attribute t where t.attrelid = 'ploomes_sync.deal_row'::regclass and t.attnum > 0)) x)
  then
    raise exception 'ploomes_sync.deals does not begin with the attributes of ploomes_sync.deal_row';
  end if;
end
$$;

-- One row per deal id: the latest version when a page repeats an id.
create function ploomes_sync.parse_deals(p_deals jsonb) returns setof ploomes_sync.deal_row
language sql immutable
set search_path = ''
as $$
  select distinct on (d.id) d.*
    from jsonb_populate_recordset(null::ploomes_sync.deal_row, p_deals) d
   order by d.id, d.last_update_date desc
$$;

-- What a deal's metrics can depend on, from a deal_row or a mirror row as jsonb: everything but
-- its id and bookkeeping (the raw date text is the same instant as last_update_date).
create function ploomes_sync.deal_values(p_deal jsonb) returns jsonb
language sql immutable
set search_path = ''
as $$
  select p_deal - array['id', 'deal_id', 'last_update_raw', 'seen_pass_id', 'synced_at']
$$;

create or replace function ploomes_sync.store_deals(p_pass_id bigint, p_dry_run boolean, p_deals jsonb, p_now timestamptz)
returns table (stored integer, inserted integer, updated integer)
language plpgsql
set search_path = ''
as $$
declare
  v_ids bigint[];
begin
  select coalesce(array_agg(i.id), '{}') into v_ids from ploomes_sync.parse_deals(p_deals) i;
  stored := cardinality(v_ids);

  if p_dry_run then
    select count(*) filter (where m.deal_id is null),
           count(*) filter (where m.deal_id is not null and m.last_update_date <= i.last_update_date
             and ploomes_sync.deal_values(to_jsonb(m)) is distinct from
                 ploomes_sync.deal_values(to_jsonb(i) || jsonb_build_object('line_items', coalesce(i.line_items, m.line_items))))
      into inserted, updated
      from ploomes_sync.parse_deals(p_deals) i left join ploomes_sync.deals m on m.deal_id = i.id;
    return next;
    return;
  end if;

  with previous as (
    select m.deal_id, m.contact_id from ploomes_sync.deals m where m.deal_id = any (v_ids)
  ),
  written as (
    -- Positional: the mirror begins with deal_row's attributes (checked by this migration).
    insert into ploomes_sync.deals as m
    select (i).*, p_pass_id, p_now from ploomes_sync.parse_deals(p_deals) i
    on conflict (deal_id) do update set
      contact_id = excluded.contact_id,
      contact_name = excluded.contact_name,
      contact_type_id = excluded.contact_type_id,
      contact_cnpj = excluded.contact_cnpj,
      contact_cpf = excluded.contact_cpf,
      status_id = excluded.status_id,
      amount = excluded.amount,
      create_date = excluded.create_date,
      finish_date = excluded.finish_date,
      last_update_date = excluded.last_update_date,
      last_update_raw = excluded.last_update_raw,
      -- Line items not fetched (Ploomes refused the expansion) never erase known ones.
      line_items = coalesce(excluded.line_items, m.line_items),
      seen_pass_id = excluded.seen_pass_id,
      synced_at = excluded.synced_at
    -- Newer-than guard: a page fetched before a later one never overwrites it. Equal dates pass,
    -- since a line-item edit may not bump LastUpdateDate. Identical rows are not rewritten.
    where m.last_update_date <= excluded.last_update_date
      and ploomes_sync.deal_values(to_jsonb(m)) is distinct from
          ploomes_sync.deal_values(to_jsonb(excluded) || jsonb_build_object('line_items', coalesce(excluded.line_items, m.line_items)))
    returning m.deal_id, m.contact_id, (m.xmax = 0) as was_inserted
  ),
  dirty as (
    insert into ploomes_sync.dirty_customers (customer_id)
    select distinct c.customer_id from (
      select w.contact_id as customer_id from written w
      union all
      -- A deal that moved to another contact changes its former customer too.
      select p.contact_id from previous p join written w using (deal_id)
    ) c
    where c.customer_id is not null
    on conflict (customer_id) do nothing
  )
  select count(*) filter (where w.was_inserted), count(*) filter (where not w.was_inserted)
    into inserted, updated
    from written w;

  -- Ploomes now sends a version we could store: the deal is no longer rejected.
  delete from ploomes_sync.rejected_deals r where r.deal_id = any (v_ids);
  return next;
end
$$;

-- recompute_customers without the display name, reading each won deal's lines through deal_lines
-- under the source in force (a finish that changes the source sets it before it recomputes).
create or replace function ploomes_sync.recompute_customers(
  p_customer_ids bigint[],   -- customers to recompute; ignored when p_all
  p_all boolean,             -- recompute every customer (a completed full pass)
  p_refresh_at timestamptz   -- the completing run's time: last_sync_at and days_since_last_purchase
) returns table (inserted integer, updated integer, deleted integer, unchanged integer, overflowed bigint[])
language plpgsql
set search_path = ''
as $$
declare
  v_targets bigint[];
  v_inserted integer;
  v_updated integer;
  v_deleted integer;
  v_overflowed bigint[];
  v_state ploomes_sync.state;
begin
  select * into strict v_state from ploomes_sync.state s where s.singleton;
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
    select d.deal_id, d.contact_id, d.contact_name, d.status_id, d.amount,
           d.finish_date, d.last_update_date, d.status_id = 2 as won,
           ploomes_sync.customer_document(d.contact_type_id, d.contact_cnpj, d.contact_cpf) as document,
           -- Only won deals' lines count, so only theirs are looked up.
           case when d.status_id = 2
                then ploomes_sync.deal_lines(d.deal_id, d.line_items, v_state.line_items_source, v_state.quote_approved_status_id)
           end as line_items
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
           (array_agg(td.contact_name order by td.last_update_date desc, td.deal_id desc)
              filter (where td.contact_name is not null))[1] as name,
           (array_agg(td.document order by td.last_update_date desc, td.deal_id desc)
              filter (where td.document is not null))[1] as document,
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
           coalesce(im.custom_priced, 0) as pricing_history_count,
           -- Rule: money columns are numeric(15,2). A customer whose totals do not fit is not
           -- written (its row keeps its last values) and is reported, never a failed statement.
           abs(round(dm.total_sales, 2)) < ploomes_sync.max_customer_money()
             and abs(round(dm.total_revenue, 2)) < ploomes_sync.max_customer_money() as fits
      from deal_metrics dm
      left join item_metrics im on im.contact_id = dm.contact_id
  ),
  overflowing as (
    select coalesce(array_agg(x.customer_id order by x.customer_id), '{}') as ids from computed x where not x.fits
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
     where x.fits
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
    -- updated_at (last_sync_at and days_since_last_purchase move with the clock, not the data).
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
  select count(*) filter (where w.was_inserted)::integer, count(*) filter (where not w.was_inserted)::integer,
         (select o.ids from overflowing o)
    into v_inserted, v_updated, v_overflowed
    from written w;

  inserted := v_inserted;
  updated := v_updated;
  deleted := v_deleted;
  overflowed := v_overflowed;
  unchanged := greatest(
    (select count(*)::integer from public.customer_sales c where c.customer_id = any (v_targets)) - v_inserted - v_updated, 0);
  return next;
end
$$;

revoke all on function ploomes_sync.parse_deals(jsonb) from public, anon, authenticated;
revoke all on function ploomes_sync.deal_values(jsonb) from public, anon, authenticated;
grant execute on function ploomes_sync.parse_deals(jsonb) to service_role;
grant execute on function ploomes_sync.deal_values(jsonb) to service_role;
