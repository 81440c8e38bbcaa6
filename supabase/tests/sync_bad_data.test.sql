-- Values as sent, and a recompute that bad data cannot break (20261201000100, 20261201000400,
-- 20261201000500 (d)):
--   * the mirror keeps Amount exactly as Ploomes sent it; customer_sales rounds once, per metric;
--   * ploomes_sync.customer_document keeps only a well-formed CNPJ (alphanumeric too) or CPF;
--   * a customer whose totals do not fit numeric(15,2) (|x| >= 10^13 after rounding) is not
--     written, keeps its row, is returned in `overflowed` and named in a run warning;
--   * a line item without UnitPrice counts by its Total and never as custom pricing.
begin;
set local search_path = extensions, public;
select plan(37);

\i supabase/tests/support/reset_sync_state.sql

create temp table t_call (k text primary key, res jsonb not null) on commit drop;
create function pg_temp.res(p_k text) returns jsonb language sql stable
  as $$ select c.res from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.run_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'runId')::bigint from pg_temp.t_call c where c.k = p_k $$;

-- A won deal as the Edge Function sends it.
create function pg_temp.deal(p_id bigint, p_contact bigint, p_amount numeric, p_items jsonb default '[]'::jsonb,
  p_type integer default 1, p_cnpj text default null, p_cpf text default null) returns jsonb language sql immutable as $$
  select jsonb_build_object(
    'id', p_id, 'contact_id', p_contact, 'contact_name', 'Cliente ' || p_contact, 
    'contact_type_id', p_type, 'contact_cnpj', p_cnpj, 'contact_cpf', p_cpf, 'status_id', 2, 'amount', p_amount,
    'create_date', '2024-01-01T10:00:00-03:00', 'finish_date', '2024-01-01T10:00:00-03:00',
    'last_update_date', '2024-01-01T10:00:00-03:00', 'last_update_raw', '2024-01-01T10:00:00-03:00', 'line_items', p_items)
$$;
create function pg_temp.item(p_product bigint, p_unit_price numeric, p_total numeric, p_catalog numeric) returns jsonb
language sql immutable as $$
  select jsonb_build_object('product_id', p_product, 'quantity', 1, 'unit_price', p_unit_price, 'discount', 0,
                            'total', p_total, 'catalog_unit_price', p_catalog)
$$;

-- ---------------------------------------------------------------------------------------------
-- customer_document(type_id, cnpj, cpf): pure, checked case by case.
select is(ploomes_sync.customer_document(1, '12.345.678/0001-95', null), '12345678000195', 'document: CNPJ punctuation removed');
select is(ploomes_sync.customer_document(1, E' 12 345 678\t0001 95 ', null), '12345678000195', 'document: whitespace removed');
select is(ploomes_sync.customer_document(1, '12.ABC.345/01DE-35', null), '12ABC34501DE35', 'document: an alphanumeric CNPJ is kept');
select is(ploomes_sync.customer_document(1, '12.abc.345/01de-35', null), '12ABC34501DE35', 'document: ... uppercased');
select is(ploomes_sync.customer_document(1, '12.ABC.345/01DE-3X', null), null, 'document: CNPJ check digits must be digits');
select is(ploomes_sync.customer_document(1, '12.345.678/0001-9', null), null, 'document: a 13-character CNPJ is not a document');
select is(ploomes_sync.customer_document(1, '12.345.678/0001-955', null), null, 'document: a 15-character CNPJ is not a document');
select is(ploomes_sync.customer_document(1, '12.345.678/0001#95', null), null, 'document: other characters are not removed');
select is(ploomes_sync.customer_document(2, null, '123.456.789-09'), '12345678909', 'document: CPF punctuation removed');
select is(ploomes_sync.customer_document(2, null, '123.456.789-0X'), null, 'document: a CPF with a letter is not a document');
select is(ploomes_sync.customer_document(2, null, '123.456.789-0'), null, 'document: a 10-digit CPF is not a document');
select is(ploomes_sync.customer_document(2, null, '1234567890123'), null, 'document: 13 digits are neither CPF nor CNPJ');
select is(ploomes_sync.customer_document(1, '11.222.333/0001-81', '123.456.789-09'), '11222333000181', 'document: TypeId 1 takes the CNPJ');
select is(ploomes_sync.customer_document(1, null, '123.456.789-09'), null, 'document: TypeId 1 never falls back to the CPF');
select is(ploomes_sync.customer_document(2, '11.222.333/0001-81', '123.456.789-09'), '12345678909', 'document: TypeId 2 takes the CPF');
select is(ploomes_sync.customer_document(2, '11.222.333/0001-81', null), null, 'document: TypeId 2 never falls back to the CNPJ');
select is(ploomes_sync.customer_document(null, '11.222.333/0001-81', '123.456.789-09'), '11222333000181',
  'document: another TypeId takes the CNPJ when there is one');
select is(ploomes_sync.customer_document(3, null, '123.456.789-09'), '12345678909', 'document: ... else the CPF');
select is(ploomes_sync.customer_document(null, '', null), null, 'document: an empty string is no document');

select is(ploomes_sync.max_customer_money(), 10000000000000::numeric, 'max_customer_money = 10^13 (numeric(15,2) holds up to 10^13 - 0.01)');
select col_type_is('ploomes_sync', 'deals', 'amount', 'numeric', 'the mirror''s amount is an unconstrained numeric');

-- ---------------------------------------------------------------------------------------------
-- B1, the first full pass.
--   601: two won deals of 10.125 -> total_sales = round(10.125 + 10.125, 2) = 20.25 (rounding
--        each deal first, as numeric(15,2) did, gave 10.13 + 10.13 = 20.26); revenue (no line
--        items: Amount) 20.25; average round(20.25 / 2 = 10.125, 2) = 10.13.
--   602: three won deals of 0.004 -> round(0.012, 2) = 0.01 (each rounded first: 0.00).
--   603: one won deal of 70, kept as 70.
--   501: one won deal of 9 000 000 000 000 (9·10^12 < 10^13: fits).
insert into t_call values ('B1', public.sync_claim('manual', 'full', false, 3600));
insert into t_call values ('B1.p1', public.sync_ingest_page(pg_temp.run_id('B1'), jsonb_build_array(
  pg_temp.deal(8601, 601, 10.125), pg_temp.deal(8602, 601, 10.125),
  pg_temp.deal(8603, 602, 0.004), pg_temp.deal(8604, 602, 0.004), pg_temp.deal(8605, 602, 0.004),
  pg_temp.deal(8606, 603, 70),
  pg_temp.deal(8501, 501, 9000000000000)), '{"lastId": 8606}'));
insert into t_call values ('B1.end', public.sync_finish_pass(pg_temp.run_id('B1')));
select is(pg_temp.res('B1.end') ->> 'status', 'succeeded', 'B1: the full pass completes');

select results_eq(
  $$select deal_id, amount::text from ploomes_sync.deals where deal_id in (8601, 8603, 8606) order by 1$$,
  $$values (8601::bigint, '10.125'::text), (8603, '0.004'), (8606, '70')$$,
  'B1: the mirror keeps each Amount as sent: 10.125, 0.004, 70 (not 10.13, 0.00, 70.00)');
select results_eq(
  $$select customer_id, total_sales, total_revenue, average_deal_value from public.customer_sales where customer_id in (601, 602, 603) order by 1$$,
  $$values (601::bigint, 20.25::numeric, 20.25::numeric, 10.13::numeric), (602, 0.01, 0.01, 0.00), (603, 70.00, 70.00, 70.00)$$,
  'B1: metrics round once: 10.125 + 10.125 = 20.25 (average 10.13); 3 x 0.004 = 0.012 -> 0.01 (average 0.00)');
select is((select row(total_sales, total_deals)::text from public.customer_sales where customer_id = 501),
  row(9000000000000.00::numeric(15, 2), 1)::text, 'B1: 501 with 9·10^12 fits');

-- ---------------------------------------------------------------------------------------------
-- B2, incremental. 8601 again, unchanged. New deals:
--   501: a second won deal of 9·10^12: 1.8·10^13 >= 10^13 -> not written; keeps 9·10^12, 1 deal.
--   502: Amount 5, TypeId 2 with CPF '123.456.789-0X' (not a document -> null, the deal still
--        counts); one item of Total 5, UnitPrice null, catalog 4 -> revenue 5, product {9},
--        not custom pricing (no effective price to compare).
--   503: 9 999 999 999 999.994 -> rounds to 9 999 999 999 999.99 < 10^13: written.
--   504: 9 999 999 999 999.995 -> rounds half up to 10 000 000 000 000.00 = 10^13: overflow.
--   505: Amount 1 (fits) but two items of Total 6·10^12: revenue 1.2·10^13: overflow.
--   506: Amount -11 000 000 000 000: |-1.1·10^13| >= 10^13: overflow.
insert into t_call values ('B2', public.sync_claim('cron', 'auto', false, 3600));
insert into t_call values ('B2.p1', public.sync_ingest_page(pg_temp.run_id('B2'), jsonb_build_array(
  pg_temp.deal(8601, 601, 10.125),
  pg_temp.deal(8502, 501, 9000000000000),
  pg_temp.deal(8503, 502, 5, jsonb_build_array(pg_temp.item(9, null, 5, 4)), 2, null, '123.456.789-0X'),
  pg_temp.deal(8504, 503, 9999999999999.994),
  pg_temp.deal(8505, 504, 9999999999999.995),
  pg_temp.deal(8506, 505, 1, jsonb_build_array(pg_temp.item(10, 6000000000000, 6000000000000, 6000000000000),
                                                pg_temp.item(11, 6000000000000, 6000000000000, 6000000000000))),
  pg_temp.deal(8507, 506, -11000000000000)), '{"lastUpdateDate": "2024-01-01T10:00:00-03:00", "lastId": 8507}'));
select is(pg_temp.res('B2.p1'), '{"stored": 7, "inserted": 6, "updated": 0, "unchanged": 1, "rejected": 0}'::jsonb,
  'B2: every deal is stored as sent; 8601 (10.125 again) is unchanged');
select is(
  (select row(amount::text, amount = 9999999999999.995)::text from ploomes_sync.deals where deal_id = 8505),
  row('9999999999999.995', true)::text, 'B2: the mirror holds 9 999 999 999 999.995 unrounded');

insert into t_call values ('B2.end', public.sync_finish_pass(pg_temp.run_id('B2')));
select is((select row(r ->> 'status', r ->> 'customersInserted', r ->> 'customersUpdated')::text from (select pg_temp.res('B2.end') r) x),
  row('succeeded', '2', '0')::text, 'B2: the pass completes; 502 and 503 are inserted, nothing updated');
select is(pg_temp.res('B2.end') -> 'warnings',
  '["4 customer(s) not updated because their totals do not fit numeric(15,2) (10^13): 501, 504, 505, 506; check the amounts of their deals in Ploomes"]'::jsonb,
  'B2: the run warns of the 4 customers left out, by id');
select is((select row(total_sales, total_revenue, total_deals, won_deals)::text from public.customer_sales where customer_id = 501),
  row(9000000000000.00::numeric(15, 2), 9000000000000.00::numeric(15, 2), 1, 1)::text,
  'B2: 501 keeps its last row (9·10^12, 1 deal) instead of an overflow');
select is((select array_agg(customer_id order by customer_id) from public.customer_sales where customer_id between 501 and 506),
  '{501,502,503}'::bigint[], 'B2: 504, 505 and 506 are not written; 502 and 503 are');
select is(
  (select row(total_sales, average_deal_value)::text from public.customer_sales where customer_id = 503),
  row(9999999999999.99::numeric(15, 2), 9999999999999.99::numeric(15, 2))::text,
  'B2: 503 at the largest value that fits: 9 999 999 999 999.99');
select is(
  (select row(customer_cnpj, total_deals, total_sales, total_revenue, products_purchased, pricing_history_count, has_custom_pricing)::text
     from public.customer_sales where customer_id = 502),
  row(null::text, 1, 5.00::numeric(15, 2), 5.00::numeric(15, 2), '{9}'::bigint[], 0, false)::text,
  'B2: 502: a CPF with a letter gives a null document; the item without UnitPrice counts by Total, not as custom pricing');
select is((select total_sales from public.customer_sales where customer_id = 601), 20.25::numeric(15, 2),
  'B2: 601 still 20.25 (its unchanged deal was not re-rounded)');

-- The recompute itself returns the customers it left out (sorted), and writes the others.
select results_eq(
  $$select inserted, updated, deleted, overflowed
      from ploomes_sync.recompute_customers(array[501, 502, 503, 504, 505, 506], false, '2030-01-01T00:00:00Z')$$,
  $$values (0, 0, 0, '{501,504,505,506}'::bigint[])$$,
  'recompute_customers: nothing to write for 502/503; overflowed = {501, 504, 505, 506}');
select results_eq(
  $$select overflowed from ploomes_sync.recompute_customers(null, true, '2030-01-01T00:00:00Z')$$,
  $$values ('{501,504,505,506}'::bigint[])$$,
  'recompute_customers over every customer reports the same four');
select results_eq(
  $$select overflowed from ploomes_sync.recompute_customers(array[601, 602, 603], false, '2030-01-01T00:00:00Z')$$,
  $$values ('{}'::bigint[])$$,
  'recompute_customers: overflowed is {} when every customer fits');

select * from finish();
rollback;
