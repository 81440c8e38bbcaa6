-- customer_sales metrics (docs/metrics.md) as published by a complete full pass through the API:
-- hand-made deals for a few customers, every expected value a literal computed by hand.
begin;
set local search_path = extensions, public;
select plan(37);

-- Clean the state this file relies on (all rolled back at the end).
\i supabase/tests/support/reset_sync_state.sql

create temp table t_call (k text primary key, res jsonb not null) on commit drop;
create function pg_temp.res(p_k text) returns jsonb language sql stable
  as $$ select c.res from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.run_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'runId')::bigint from pg_temp.t_call c where c.k = p_k $$;

-- A deal as the Edge Function sends it (create_date = last_update_date; raw = the ISO string).
create function pg_temp.deal(
  p_id bigint, p_contact bigint, p_status integer, p_amount numeric, p_updated text,
  p_finished text default null, p_items jsonb default '[]'::jsonb,
  p_name text default null, p_display text default null, p_type integer default null,
  p_cnpj text default null, p_cpf text default null
) returns jsonb language sql immutable as $$
  select jsonb_build_object(
    -- contact_name as the Edge Function sends it: the contact's Name (p_display) when known, else the deal's ContactName.
    'id', p_id, 'contact_id', p_contact, 'contact_name', coalesce(p_display, p_name),
    'contact_type_id', p_type, 'contact_cnpj', p_cnpj, 'contact_cpf', p_cpf, 'status_id', p_status,
    'amount', p_amount, 'create_date', p_updated, 'finish_date', p_finished,
    'last_update_date', p_updated, 'last_update_raw', p_updated, 'line_items', p_items)
$$;
create function pg_temp.item(
  p_product bigint, p_quantity numeric, p_unit_price numeric, p_discount numeric, p_total numeric, p_catalog numeric
) returns jsonb language sql immutable as $$
  select jsonb_build_object('product_id', p_product, 'quantity', p_quantity, 'unit_price', p_unit_price,
                            'discount', p_discount, 'total', p_total, 'catalog_unit_price', p_catalog)
$$;

-- ---------------------------------------------------------------------------------------------
-- The data.
--
-- Customer 101, a company (TypeId 1): Contact.Name 'Alpha Comércio Ltda', ContactName 'ALPHA'.
--   1001 won   100.00  finish 2024-03-07T12:39:44.957-03:00  items: 501 total 60 (price = catalog),
--                                                                   502 total 20.01 (10.005 vs catalog 10.00: diff 0.005, NOT custom)
--   1002 won     0.01  no finish, updated 2024-05-01T09:00-03:00, items []  -> revenue = Amount 0.01
--   1003 open  999.99  item 503 (would be custom-priced) -> neither product nor pricing counts
--   1004 sent twice in one page: won (older) and lost (newer) -> the newer (lost) one counts; its item 504 does not
--   won 2 / open 1 / lost 1 / total 4; total_sales 100.01; revenue 60 + 20.01 + 0.01 = 80.02;
--   average 100.01 / 2 = 50.005 -> 50.01; products {501,502}; pricing 0;
--   first 2024-03-07 15:39:44.957Z, last 2024-05-01 12:00Z (LastUpdateDate fallback); CNPJ digits (the stray CPF is ignored).
--
-- Customer 102, a person (TypeId 2): no Contact.Name, ContactName 'Maria Silva'.
--   2001 won 300.00 finish 2024-01-10T10:00-03:00, line items null (not fetched) -> revenue = Amount 300.00
--   2002 won 200.00 finish 2024-02-20T10:00:00.5000000-03:00 (7-digit fraction), items:
--        603 total 80     (no catalog price: not custom)
--        601 total 100.01 (100.006 vs 100.00: diff 0.006, custom)
--        602 total 90     (50 with 10% off = 45 vs 45: not custom)
--        601 total 99     (110 with 10% off = 99 vs 100: custom)
--   2003 lost 40.00, item 604 (not counted)
--   won 2 / open 0 / lost 1 / total 3; total_sales 500.00; revenue 300 + 80 + 100.01 + 90 + 99 = 669.01;
--   average 250.00; products {601,602,603}; pricing 2; first 2024-01-10 13:00Z, last 2024-02-20 13:00:00.5Z;
--   CPF digits (the stray CNPJ is ignored).
--
-- Customer 103: no names at all, TypeId 1 without CNPJ, a single open deal with an item.
--   'Contact 103', null document, everything 0 / {} / null.
--
-- Customer 104: its name changed; the most recently updated deal carries 'Zeta Nova SA'.
--   4001 won 10.00 finish 2024-01-01T10:00-03:00 (display 'Zeta Antiga'), 4002 open (display 'Zeta Nova SA').
--
-- Deal 9001 has no contact: stored in the mirror, counted nowhere.

insert into t_call values ('full', public.sync_claim('manual', 'auto', false, 3600));

insert into t_call values ('page1', public.sync_ingest_page(pg_temp.run_id('full'), jsonb_build_array(
  pg_temp.deal(1001, 101, 2, 100.00, '2024-03-08T09:00:00-03:00', '2024-03-07T12:39:44.957-03:00',
    jsonb_build_array(pg_temp.item(501, 1, 60, 0, 60, 60), pg_temp.item(502, 2, 10.005, 0, 20.01, 10.00)),
    'ALPHA', 'Alpha Comércio Ltda', 1, '12.345.678/0001-95', '987.654.321-00'),
  pg_temp.deal(1002, 101, 2, 0.01, '2024-05-01T09:00:00-03:00', null, '[]'::jsonb,
    'ALPHA', 'Alpha Comércio Ltda', 1, '12.345.678/0001-95', '987.654.321-00'),
  pg_temp.deal(1003, 101, 1, 999.99, '2024-05-02T10:00:00-03:00', null,
    jsonb_build_array(pg_temp.item(503, 1, 999.99, 0, 999.99, 500)),
    'ALPHA', 'Alpha Comércio Ltda', 1, '12.345.678/0001-95', '987.654.321-00'),
  pg_temp.deal(1004, 101, 3, 50.00, '2024-04-02T10:00:00-03:00', null,
    jsonb_build_array(pg_temp.item(504, 1, 50, 0, 50, 40)),
    'ALPHA', 'Alpha Comércio Ltda', 1, '12.345.678/0001-95', '987.654.321-00'),
  pg_temp.deal(1004, 101, 2, 50.00, '2024-04-01T10:00:00-03:00', '2024-04-01T10:00:00-03:00',
    jsonb_build_array(pg_temp.item(504, 1, 50, 0, 50, 40)),
    'ALPHA', 'Alpha Comércio Ltda', 1, '12.345.678/0001-95', '987.654.321-00')
), '{"lastId": 1004}'));

insert into t_call values ('page2', public.sync_ingest_page(pg_temp.run_id('full'), jsonb_build_array(
  pg_temp.deal(2001, 102, 2, 300.00, '2024-01-10T10:05:00-03:00', '2024-01-10T10:00:00-03:00', null,
    'Maria Silva', null, 2, '55.666.777/0001-88', '123.456.789-09'),
  pg_temp.deal(2002, 102, 2, 200.00, '2024-02-21T08:00:00-03:00', '2024-02-20T10:00:00.5000000-03:00',
    jsonb_build_array(pg_temp.item(603, 1, 80, null, 80, null),
                      pg_temp.item(601, 1, 100.006, 0, 100.01, 100.00),
                      pg_temp.item(602, 2, 50, 10, 90.00, 45.00),
                      pg_temp.item(601, 1, 110, 10, 99.00, 100.00)),
    'Maria Silva', null, 2, '55.666.777/0001-88', '123.456.789-09'),
  pg_temp.deal(2003, 102, 3, 40.00, '2024-02-22T08:00:00-03:00', null,
    jsonb_build_array(pg_temp.item(604, 1, 40, 0, 40, 40)),
    'Maria Silva', null, 2, '55.666.777/0001-88', '123.456.789-09'),
  pg_temp.deal(3001, 103, 1, 10.00, '2024-06-01T10:00:00-03:00', null,
    jsonb_build_array(pg_temp.item(701, 1, 10, 0, 10, 5)),
    null, null, 1, null, null),
  pg_temp.deal(4001, 104, 2, 10.00, '2024-01-01T10:00:00-03:00', '2024-01-01T10:00:00-03:00', '[]'::jsonb,
    'ZETA', 'Zeta Antiga', 1, '98.765.432/0001-10', null),
  pg_temp.deal(4002, 104, 1, 20.00, '2024-07-01T10:00:00-03:00', null, '[]'::jsonb,
    'ZETA', 'Zeta Nova SA', 1, '98.765.432/0001-10', null),
  pg_temp.deal(9001, null, 2, 1000.00, '2024-08-01T10:00:00-03:00', '2024-08-01T10:00:00-03:00',
    jsonb_build_array(pg_temp.item(999, 1, 1000, 0, 1000, 1)))
), '{"lastId": 9001}'));

insert into t_call values ('finish', public.sync_finish_pass(pg_temp.run_id('full')));

-- ---------------------------------------------------------------------------------------------
-- The pass itself.
select is(pg_temp.res('page1') ->> 'stored', '4', 'page 1: a repeated deal id is stored once');
select is(pg_temp.res('finish') ->> 'status', 'succeeded', 'the full pass succeeds');
select is(pg_temp.res('finish') ->> 'dealsFetched', '11', 'the run counts 11 distinct deals');
select is(pg_temp.res('finish') ->> 'customersInserted', '4', 'four customers inserted');
select is((select count(*)::int from ploomes_sync.deals), 11, 'the mirror holds the 11 deals, the contact-less one included');
select is((select status_id from ploomes_sync.deals where deal_id = 1004), 3, 'of a repeated id, the most recently updated version is kept');

-- ---------------------------------------------------------------------------------------------
-- The metrics, one group at a time, for all customers.
select results_eq(
  $$select customer_id from public.customer_sales order by 1$$,
  $$values (101::bigint), (102), (103), (104)$$,
  'one row per contact with deals; none for the deal without a contact');

select results_eq(
  $$select customer_id, total_deals, won_deals, open_deals, lost_deals from public.customer_sales order by 1$$,
  $$values (101::bigint, 4, 2, 1, 1), (102, 3, 2, 0, 1), (103, 1, 0, 1, 0), (104, 2, 1, 1, 0)$$,
  'deal counts: total / won (StatusId 2) / open (1) / lost (3)');

select results_eq(
  $$select customer_id, total_sales from public.customer_sales order by 1$$,
  $$values (101::bigint, 100.01::numeric), (102, 500.00), (103, 0.00), (104, 10.00)$$,
  'total_sales = sum of Amount over won deals');

select results_eq(
  $$select customer_id, total_revenue from public.customer_sales order by 1$$,
  $$values (101::bigint, 80.02::numeric), (102, 669.01), (103, 0.00), (104, 10.00)$$,
  'total_revenue = line totals of won deals; Amount for a won deal with [] or null line items');

select results_eq(
  $$select customer_id, average_deal_value from public.customer_sales order by 1$$,
  $$values (101::bigint, 50.01::numeric), (102, 250.00), (103, 0.00), (104, 10.00)$$,
  'average_deal_value = total_sales / won_deals rounded to cents (50.005 -> 50.01), 0 without won deals');

select results_eq(
  $$select customer_id, products_purchased, total_products from public.customer_sales order by 1$$,
  $$values (101::bigint, '{501,502}'::bigint[], 2), (102, '{601,602,603}', 3), (103, '{}', 0), (104, '{}', 0)$$,
  'products_purchased: sorted distinct products of won deals only; total_products its cardinality');

select results_eq(
  $$select customer_id, pricing_history_count, has_custom_pricing from public.customer_sales order by 1$$,
  $$values (101::bigint, 0, false), (102, 2, true), (103, 0, false), (104, 0, false)$$,
  'pricing_history_count: won items off catalog by more than 0.005 (0.005 no, 0.006 yes, null catalog no)');

select results_eq(
  $$select customer_id, first_purchase_date, last_purchase_date from public.customer_sales order by 1$$,
  $$values (101::bigint, '2024-03-07T15:39:44.957Z'::timestamptz, '2024-05-01T12:00:00Z'::timestamptz),
           (102, '2024-01-10T13:00:00Z', '2024-02-20T13:00:00.5Z'),
           (103, null, null),
           (104, '2024-01-01T13:00:00Z', '2024-01-01T13:00:00Z')$$,
  'first/last purchase = min/max FinishDate of won deals, LastUpdateDate when FinishDate is null');

select results_eq(
  $$select customer_id, customer_name from public.customer_sales order by 1$$,
  $$values (101::bigint, 'Alpha Comércio Ltda'::text), (102, 'Maria Silva'), (103, 'Contact 103'), (104, 'Zeta Nova SA')$$,
  'customer_name: Contact.Name, else ContactName, else Contact <id>; from the latest deal');

select results_eq(
  $$select customer_id, customer_cnpj from public.customer_sales order by 1$$,
  $$values (101::bigint, '12345678000195'::text), (102, '12345678909'), (103, null), (104, '98765432000110')$$,
  'customer_cnpj: digits only, CNPJ for TypeId 1, CPF for TypeId 2, null when absent');

-- A few single-customer spot checks, so a failure names the case.
select is((select total_revenue from public.customer_sales where customer_id = 101), 80.02,
  'a won deal with line items [] counts its Amount in revenue');
select is((select average_deal_value from public.customer_sales where customer_id = 101), 50.01,
  'average 100.01 / 2 = 50.005 rounds half up to 50.01');
select ok(not (select 503 = any (products_purchased) from public.customer_sales where customer_id = 101),
  'an open deal''s product is not purchased');
select ok(not (select 504 = any (products_purchased) from public.customer_sales where customer_id = 101),
  'a lost deal''s product is not purchased');
select is((select sum(won_deals)::int from public.customer_sales), 5, 'the won deal without a contact is counted nowhere');
select is(ploomes_sync.custom_price_tolerance(), 0.005, 'the custom-pricing tolerance is 0.005');

-- ---------------------------------------------------------------------------------------------
-- Timestamps: every row confirmed by this run; days since last purchase measured to it.
select is(
  (select count(*)::int from public.customer_sales c
     where c.last_sync_at = (select p.finish_at from ploomes_sync.passes p join ploomes_sync.runs r on r.pass_id = p.id
                              where r.id = pg_temp.run_id('full'))),
  4, 'last_sync_at = when the completing run published, on every row');
select is((select count(*)::int from public.customer_sales where created_at = last_sync_at and updated_at = last_sync_at), 4,
  'new rows: created_at = updated_at = last_sync_at');
select results_eq(
  $$select customer_id, days_since_last_purchase from public.customer_sales order by 1$$,
  $$select customer_id, extract(day from (last_sync_at - last_purchase_date))::integer from public.customer_sales order by 1$$,
  'days_since_last_purchase = whole days from last_purchase_date to last_sync_at (null without a purchase)');
select is((select days_since_last_purchase from public.customer_sales where customer_id = 103), null,
  'no purchase: days_since_last_purchase is null');

-- The same with a fixed clock: 101 bought 2024-05-01 12:00Z, 102 2024-02-20 13:00:00.5Z, 104 2024-01-01 13:00Z.
select is(ploomes_sync.confirm_rows('2024-05-11T12:00:00Z'), 4, 'confirming at a fixed time stamps every row');
select results_eq(
  $$select customer_id, days_since_last_purchase from public.customer_sales order by 1$$,
  $$values (101::bigint, 10), (102, 80), (103, null), (104, 130)$$,
  'days at 2024-05-11 12:00Z: exactly 10 days -> 10; 80 d 22:59:59.5 -> 80; 130 d 23 h -> 130');
select is(ploomes_sync.confirm_rows('2024-05-11T11:59:59.999999Z'), 4, 'confirming again stamps every row again');
select results_eq(
  $$select customer_id, days_since_last_purchase from public.customer_sales order by 1$$,
  $$values (101::bigint, 9), (102, 80), (103, null), (104, 130)$$,
  'a microsecond earlier only 101 moves: 9 days 23:59:59.999999 -> 9');
select is((select count(*)::int from public.customer_sales where updated_at <> created_at), 0,
  'confirming rows does not touch updated_at');

-- ---------------------------------------------------------------------------------------------
-- Recompute is idempotent and only writes what changed.
select results_eq(
  $$select inserted, updated, deleted, unchanged from ploomes_sync.recompute_customers(array[101, 102, 103, 104], false, '2030-01-01T00:00:00Z')$$,
  $$values (0, 0, 0, 4)$$,
  'recomputing unchanged customers writes nothing');
select is((select count(*)::int from public.customer_sales where last_sync_at = '2030-01-01T00:00:00Z'), 0,
  'unchanged rows keep their last_sync_at and updated_at');

-- A change in the mirror is picked up by a targeted recompute, which leaves other customers alone.
update ploomes_sync.deals set status_id = 2, finish_date = '2024-06-02T13:00:00Z' where deal_id = 3001;
select results_eq(
  $$select inserted, updated, deleted, unchanged from ploomes_sync.recompute_customers(array[103], false, '2030-01-01T00:00:00Z')$$,
  $$values (0, 1, 0, 0)$$,
  'a targeted recompute updates the changed customer');
select results_eq(
  $$select won_deals, open_deals, total_sales, total_revenue, average_deal_value, products_purchased,
           pricing_history_count, has_custom_pricing, first_purchase_date, days_since_last_purchase, updated_at
      from public.customer_sales where customer_id = 103$$,
  $$values (1, 0, 10.00::numeric, 10.00::numeric, 10.00::numeric, '{701}'::bigint[], 1, true,
            '2024-06-02T13:00:00Z'::timestamptz, 2038, '2030-01-01T00:00:00Z'::timestamptz)$$,
  'customer 103 after its deal is won: item 701 at 10 vs catalog 5 is custom; 2038 days to 2030-01-01');

-- A customer whose last deal disappears from the mirror is deleted.
delete from ploomes_sync.deals where contact_id = 104;
select results_eq(
  $$select inserted, updated, deleted, unchanged from ploomes_sync.recompute_customers(array[104], false, '2030-01-01T00:00:00Z')$$,
  $$values (0, 0, 1, 0)$$,
  'recompute deletes a customer left without deals');
select is((select count(*)::int from public.customer_sales where customer_id = 104), 0, 'customer 104 is gone');

select * from finish();
rollback;
