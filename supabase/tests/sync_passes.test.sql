-- Passes through the SQL API (docs/operations.md, docs/decisions.md D5, D16): full and incremental semantics, the newer-than guard,
-- mark-and-sweep, interrupted passes that resume, failures that publish nothing, the reject
-- ratio, dry runs, and public.sync_health along the way. One story, in order:
--   A  full pass R1 (5 deals, customers 201..205)
--   B  incremental R2: deal 5001 lost, deal 5002 moves 202 -> 206, a same-date line-item edit
--   C  incremental R3 with nothing new
--   D  incremental R4 (products refused, an older version, partial) resumed by R4b (null line items)
--   E  full pass R5 (partial) -> R6 (fails) -> R7 (completes, sweeps deal 5004; delete ratio 0.5)
--   F  reject ratio: R8 fails the pass; R9 fails; R10 succeeds; R11 at exactly the allowed ratio
--   G  dry run R12, then the same page for real in R13
--   H  when auto means full (R14..R16)
begin;
set local search_path = extensions, public;
select plan(130);

-- Clean the state this file relies on (all rolled back at the end).
\i supabase/tests/support/reset_sync_state.sql

create temp table t_call (k text primary key, res jsonb not null) on commit drop;
create temp table t_snap (k text primary key, v jsonb) on commit drop;
create function pg_temp.res(p_k text) returns jsonb language sql stable
  as $$ select c.res from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.run_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'runId')::bigint from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.pass_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'passId')::bigint from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.pass_start(p_k text) returns timestamptz language sql stable
  as $$ select p.started_at from ploomes_sync.passes p where p.id = pg_temp.pass_id(p_k) $$;
-- When the run's pass began publishing: the last_sync_at of every row it confirmed.
create function pg_temp.finish_at(p_k text) returns timestamptz language sql stable
as $$ select p.finish_at from ploomes_sync.passes p where p.id = pg_temp.pass_id(p_k) $$;
create function pg_temp.finished(p_k text) returns timestamptz language sql stable
  as $$ select r.finished_at from ploomes_sync.runs r where r.id = pg_temp.run_id(p_k) $$;
-- Whole-table snapshots, to prove that something did not change at all.
create function pg_temp.customers() returns jsonb language sql stable
  as $$ select coalesce(jsonb_agg(to_jsonb(c) order by c.customer_id), '[]') from public.customer_sales c $$;
create function pg_temp.mirror() returns jsonb language sql stable
  as $$ select coalesce(jsonb_agg(to_jsonb(d) order by d.deal_id), '[]') from ploomes_sync.deals d $$;
create function pg_temp.snap(p_k text) returns jsonb language sql stable
  as $$ select s.v from pg_temp.t_snap s where s.k = p_k $$;

create function pg_temp.deal(
  p_id bigint, p_contact bigint, p_status integer, p_amount numeric, p_updated text,
  p_finished text default null, p_items jsonb default '[]'::jsonb, p_name text default null, p_display text default null
) returns jsonb language sql immutable as $$
  select jsonb_build_object(
    'id', p_id, 'contact_id', p_contact, 'contact_name', coalesce(p_display, p_name, 'Cliente ' || p_contact),
    'contact_type_id', 1, 'contact_cnpj', null, 'contact_cpf', null,
    'status_id', p_status, 'amount', p_amount, 'create_date', p_updated, 'finish_date', p_finished,
    'last_update_date', p_updated, 'last_update_raw', p_updated, 'line_items', p_items)
$$;
create function pg_temp.item(p_product bigint, p_price numeric) returns jsonb language sql immutable as $$
  select jsonb_build_object('product_id', p_product, 'quantity', 1, 'unit_price', p_price, 'discount', 0,
                            'total', p_price, 'catalog_unit_price', p_price)
$$;

-- The deals, and the versions they go through.
create function pg_temp.d1() returns jsonb language sql immutable as $$
  select pg_temp.deal(5001, 201, 2, 100, '2024-01-01T10:00:00-03:00', '2024-01-01T10:00:00-03:00', jsonb_build_array(pg_temp.item(1, 100))) $$;
create function pg_temp.d1_lost() returns jsonb language sql immutable as $$
  select pg_temp.deal(5001, 201, 3, 100, '2024-02-01T10:00:00-03:00', null, jsonb_build_array(pg_temp.item(1, 100))) $$;
create function pg_temp.d2() returns jsonb language sql immutable as $$
  select pg_temp.deal(5002, 202, 1, 50, '2024-01-02T10:00:00-03:00') $$;
create function pg_temp.d2_moved() returns jsonb language sql immutable as $$
  select pg_temp.deal(5002, 206, 1, 50, '2024-02-02T10:00:00-03:00', null, '[]'::jsonb, 'Novo Cliente') $$;
create function pg_temp.d3() returns jsonb language sql immutable as $$
  select pg_temp.deal(5003, 203, 2, 70, '2024-01-03T10:00:00-03:00', '2024-01-03T10:00:00-03:00', jsonb_build_array(pg_temp.item(3, 70))) $$;
create function pg_temp.d3_older() returns jsonb language sql immutable as $$
  select pg_temp.deal(5003, 203, 1, 9999, '2023-12-01T10:00:00-03:00') $$;
create function pg_temp.d3_no_items() returns jsonb language sql immutable as $$
  select pg_temp.deal(5003, 203, 2, 75, '2024-03-01T10:00:00-03:00', '2024-03-01T10:00:00-03:00', null) $$;
create function pg_temp.d4() returns jsonb language sql immutable as $$
  select pg_temp.deal(5004, 204, 2, 10, '2024-01-04T10:00:00-03:00', '2024-01-04T10:00:00-03:00') $$;
create function pg_temp.d5() returns jsonb language sql immutable as $$
  select pg_temp.deal(5005, 205, 3, 5, '2024-01-05T10:00:00-03:00') $$;
create function pg_temp.d5_items() returns jsonb language sql immutable as $$
  select pg_temp.deal(5005, 205, 3, 5, '2024-01-05T10:00:00-03:00', null, jsonb_build_array(pg_temp.item(9, 5))) $$;
create function pg_temp.d5_won() returns jsonb language sql immutable as $$
  select pg_temp.deal(5005, 205, 2, 5, '2024-04-05T10:00:00-03:00', '2024-04-05T10:00:00-03:00', jsonb_build_array(pg_temp.item(9, 5))) $$;

-- =============================================================================================
-- A. First run: a full pass over 5 deals, in two pages.
insert into t_call values ('R1', public.sync_claim('cron', 'auto', false, 3600));
insert into t_call values ('R1.p1', public.sync_ingest_page(pg_temp.run_id('R1'),
  jsonb_build_array(pg_temp.d1(), pg_temp.d2(), pg_temp.d3()), '{"lastId": 5003}'));
insert into t_call values ('R1.p2', public.sync_ingest_page(pg_temp.run_id('R1'),
  jsonb_build_array(pg_temp.d4(), pg_temp.d5()), '{"lastId": 5005}'));
insert into t_call values ('R1.end', public.sync_finish_pass(pg_temp.run_id('R1')));

select is(pg_temp.res('R1') ->> 'mode', 'full', 'A: without a cursor, auto means full');
select is(pg_temp.res('R1') ->> 'since', null, 'A: a full pass has no since');
select is(pg_temp.res('R1.end') ->> 'status', 'succeeded', 'A: the full pass succeeds');
select is(pg_temp.res('R1.end') ->> 'customersInserted', '5', 'A: five customers inserted');
select is((select s.cursor from ploomes_sync.state s), pg_temp.pass_start('R1'), 'A: the cursor is the pass''s start');
select is((select s.last_full_pass_at from ploomes_sync.state s), pg_temp.pass_start('R1'), 'A: last_full_pass_at is the pass''s start');
select is((pg_temp.res('R1.end') ->> 'cursorAfter')::timestamptz, pg_temp.pass_start('R1'), 'A: the run records cursorAfter');
select is(
  (select row(s.current_pass_id, s.lease_run_id, s.lease_expires_at)::text from ploomes_sync.state s),
  row(null::bigint, null::bigint, null::timestamptz)::text, 'A: no pass in progress, lease released');
select is(
  (select row(p.status, p.position, p.pages, p.deals_seen)::text from ploomes_sync.passes p where p.id = pg_temp.pass_id('R1')),
  row('completed', '{"lastId": 5005}'::jsonb, 2, 5)::text, 'A: the pass is completed at its last position');
select is((select count(*)::int from ploomes_sync.dirty_customers), 0, 'A: nothing left to recompute');

-- =============================================================================================
-- B. Incremental: a status change, a deal moving to another contact, an unchanged deal, and a
--    line-item edit that did not bump LastUpdateDate. Only the touched customers are rewritten.
update ploomes_sync.state set cursor = '2025-01-01T00:00:00Z';   -- a literal, to check since by hand
update public.customer_sales set updated_at = '2001-01-01T00:00:00Z';

insert into t_call values ('R2', public.sync_claim('cron', 'auto', false, 3600, 168, 300));
select is(pg_temp.res('R2') ->> 'mode', 'incremental', 'B: after a recent full pass, auto means incremental');
select is(pg_temp.res('R2') ->> 'since', '2024-12-31T23:55:00.000000Z', 'B: since = cursor - overlap (300 s)');
select is((select p.since from ploomes_sync.passes p where p.id = pg_temp.pass_id('R2')), '2024-12-31T23:55:00Z'::timestamptz,
  'B: the pass stores since');
select is((select r.cursor_before from ploomes_sync.runs r where r.id = pg_temp.run_id('R2')), '2025-01-01T00:00:00Z'::timestamptz,
  'B: the run records cursor_before');

insert into t_call values ('R2.p1', public.sync_ingest_page(pg_temp.run_id('R2'),
  jsonb_build_array(pg_temp.d1_lost(), pg_temp.d2_moved(), pg_temp.d3(), pg_temp.d5_items()),
  '{"lastUpdateDate": "2024-02-02T10:00:00-03:00", "lastId": 5002}'));
select is(pg_temp.res('R2.p1'), '{"stored": 4, "inserted": 0, "updated": 3, "unchanged": 1, "rejected": 0}'::jsonb,
  'B: page figures: 3 updated (one of them at an equal LastUpdateDate), 1 unchanged');
select is((select array_agg(customer_id order by customer_id) from ploomes_sync.dirty_customers), '{201,202,205,206}'::bigint[],
  'B: dirty = the changed deals'' customers, the moved deal''s old (202) and new (206) contact included');
select is((select line_items from ploomes_sync.deals where deal_id = 5005), jsonb_build_array(pg_temp.item(9, 5)),
  'B: an equal LastUpdateDate passes the newer-than guard');
select is((select count(*)::int from ploomes_sync.pass_gone g where g.pass_id = pg_temp.pass_id('R2')), 0,
  'B: an incremental page proves no deal gone (only full-pass pages stage deletions)');

insert into t_call values ('R2.end', public.sync_finish_pass(pg_temp.run_id('R2')));
select is(
  (select jsonb_build_object('i', r ->> 'customersInserted', 'u', r ->> 'customersUpdated', 'd', r ->> 'customersDeleted', 'n', r ->> 'customersUnchanged')
     from (select pg_temp.res('R2.end') r) x),
  '{"i": "1", "u": "1", "d": "1", "n": "1"}'::jsonb,
  'B: finish: 206 inserted, 201 updated, 202 deleted, 205 unchanged');
select is((select array_agg(customer_id order by customer_id) from public.customer_sales), '{201,203,204,205,206}'::bigint[],
  'B: customer 202, left without deals, is deleted; 206 appears');
select is(
  (select array_agg(customer_id order by customer_id) from public.customer_sales where updated_at <> '2001-01-01T00:00:00Z'),
  '{201,206}'::bigint[], 'B: exactly the changed customers were rewritten (205 was dirty but its metrics did not change)');
select is(
  (select row(won_deals, lost_deals, total_sales, total_revenue, products_purchased, last_purchase_date)::text
     from public.customer_sales where customer_id = 201),
  row(0, 1, 0.00::numeric(15, 2), 0.00::numeric(15, 2), '{}'::bigint[], null::timestamptz)::text,
  'B: customer 201 after its only deal was lost');
select is(
  (select row(customer_name, open_deals, total_deals)::text from public.customer_sales where customer_id = 206),
  row('Novo Cliente', 1, 1)::text, 'B: customer 206 holds the moved deal');
select is((select s.cursor from ploomes_sync.state s), pg_temp.pass_start('R2'), 'B: the cursor moves to the pass''s start');
select is((select s.last_full_pass_at from ploomes_sync.state s), pg_temp.pass_start('R1'), 'B: an incremental pass leaves last_full_pass_at');
select is((select count(*)::int from ploomes_sync.dirty_customers), 0, 'B: the dirty set is consumed');

-- =============================================================================================
-- C. Incremental with nothing new: no customer is written.
update public.customer_sales set updated_at = '2001-01-01T00:00:00Z';
insert into t_call values ('R3', public.sync_claim('cron', 'auto', false, 3600, 168, 300));
select is((pg_temp.res('R3') ->> 'since')::timestamptz, pg_temp.pass_start('R2') - interval '300 seconds',
  'C: since = previous incremental pass start - overlap');
insert into t_call values ('R3.p1', public.sync_ingest_page(pg_temp.run_id('R3'), jsonb_build_array(pg_temp.d3()),
  '{"lastUpdateDate": "2024-01-03T10:00:00-03:00", "lastId": 5003}'));
select is(pg_temp.res('R3.p1') ->> 'unchanged', '1', 'C: the re-read deal is unchanged');
insert into t_call values ('R3.end', public.sync_finish_pass(pg_temp.run_id('R3')));
select is(
  (select jsonb_build_object('i', r ->> 'customersInserted', 'u', r ->> 'customersUpdated', 'd', r ->> 'customersDeleted', 'c', r ->> 'customersChanged')
     from (select pg_temp.res('R3.end') r) x),
  '{"i": "0", "u": "0", "d": "0", "c": "0"}'::jsonb, 'C: customersUpdated 0 (and nothing inserted or deleted)');
select is((select count(*)::int from public.customer_sales where updated_at <> '2001-01-01T00:00:00Z'), 0,
  'C: no row''s updated_at changed');
select is(
  (select count(*)::int from public.customer_sales c
    where c.days_since_last_purchase is distinct from floor(extract(epoch from (pg_temp.finished('R3') - c.last_purchase_date)) / 86400)::int),
  0, 'C: days_since_last_purchase is refreshed to the end of this run, for every row');
-- last_sync_at is the end of the last completed run, every row confirmed by it (docs/metrics.md),
-- and days_since is measured to that refresh: an incremental finish refreshes both on every row.
select is((select count(*)::int from public.customer_sales where last_sync_at = pg_temp.finish_at('R3')), 5,
  'C: a completed incremental run confirms every row (last_sync_at = when it published, as days_since is)');

-- =============================================================================================
-- D. Incremental R4: Ploomes refuses the Products expansion; an OLDER version of a deal arrives;
--    the budget runs out (partial). R4b resumes and stores a newer version without line items.
update public.customer_sales set updated_at = '2001-01-01T00:00:00Z';
insert into t_call values ('R4', public.sync_claim('cron', 'auto', false, 3600, 168, 300));
select lives_ok(format($$select public.sync_disable_products(%s, 'Ploomes refused $expand=Products (403)')$$, pg_temp.run_id('R4')),
  'D: sync_disable_products');
select is((select r.warnings from ploomes_sync.runs r where r.id = pg_temp.run_id('R4')),
  '["Ploomes refused $expand=Products (403)"]'::jsonb, 'D: the warning is on the run');
select is((select p.products_available from ploomes_sync.passes p where p.id = pg_temp.pass_id('R4')), false,
  'D: the pass continues without products');

insert into t_call values ('R4.p1', public.sync_ingest_page(pg_temp.run_id('R4'), jsonb_build_array(pg_temp.d3_older()),
  '{"lastUpdateDate": "2023-12-01T10:00:00-03:00", "lastId": 5003}'));
select is(pg_temp.res('R4.p1'), '{"stored": 1, "inserted": 0, "updated": 0, "unchanged": 1, "rejected": 0}'::jsonb,
  'D: an older version is not written');
select is(
  (select row(status_id, amount, last_update_date)::text from ploomes_sync.deals where deal_id = 5003),
  row(2, 70::numeric, '2024-01-03T13:00:00Z'::timestamptz)::text,
  'D: newer-than guard: the mirror keeps the newer version (Amount as sent: 70, not 70.00)');
select isnt((select seen_pass_id from ploomes_sync.deals where deal_id = 5003), pg_temp.pass_id('R4'),
  'D: the older version writes nothing to the mirror row, not even a stamp');
select is((select count(*)::int from ploomes_sync.dirty_customers), 0, 'D: an ignored older version marks nobody dirty');

insert into t_call values ('R4.end', public.sync_end_partial(pg_temp.run_id('R4'), '{"requests": 2}'));
select is(pg_temp.res('R4.end') ->> 'status', 'partial', 'D: the run ends partial');
select is((select r.http_status from ploomes_sync.runs r where r.id = pg_temp.run_id('R4')), 200, 'D: a partial run answered 200');
select is((select s.cursor from ploomes_sync.state s), pg_temp.pass_start('R3'), 'D: a partial run does not move the cursor');

insert into t_call values ('R4b', public.sync_claim('continue', 'auto', false, 3600, 168, 300));
select is(
  (select jsonb_build_object('resumed', r -> 'resumed', 'passId', r -> 'passId', 'mode', r -> 'mode', 'since', r -> 'since',
                             'position', r -> 'position', 'productsAvailable', r -> 'productsAvailable')
     from (select pg_temp.res('R4b') r) x),
  jsonb_build_object('resumed', true, 'passId', pg_temp.pass_id('R4'), 'mode', 'incremental', 'since', pg_temp.res('R4') -> 'since',
                     'position', '{"lastUpdateDate": "2023-12-01T10:00:00-03:00", "lastId": 5003}'::jsonb, 'productsAvailable', false),
  'D: the continuation resumes the same pass: same since, saved position, products still off');

insert into t_call values ('R4b.p1', public.sync_ingest_page(pg_temp.run_id('R4b'), jsonb_build_array(pg_temp.d3_no_items()),
  '{"lastUpdateDate": "2024-03-01T10:00:00-03:00", "lastId": 5003}'));
select is(pg_temp.res('R4b.p1') ->> 'updated', '1', 'D: a newer version without line items is written');
select is(
  (select row(amount, line_items)::text from ploomes_sync.deals where deal_id = 5003),
  row(75::numeric, jsonb_build_array(pg_temp.item(3, 70)))::text,
  'D: line_items null (not fetched) keeps the known line items');
insert into t_call values ('R4b.end', public.sync_finish_pass(pg_temp.run_id('R4b')));
select is(pg_temp.res('R4b.end') ->> 'customersUpdated', '1', 'D: only customer 203 is updated');
select is(
  (select row(total_sales, total_revenue, products_purchased, last_purchase_date)::text from public.customer_sales where customer_id = 203),
  row(75.00::numeric(15, 2), 70.00::numeric(15, 2), '{3}'::bigint[], '2024-03-01T13:00:00Z'::timestamptz)::text,
  'D: 203 uses the new Amount and the kept line items');
select is((select array_agg(customer_id) from public.customer_sales where updated_at <> '2001-01-01T00:00:00Z'), '{203}'::bigint[],
  'D: no other customer was rewritten');
select is((select s.cursor from ploomes_sync.state s), pg_temp.pass_start('R4'), 'D: the cursor moves to the start of the resumed pass (not of R4b)');

-- =============================================================================================
-- E. A full pass that no longer sees deal 5004, interrupted twice before it completes.
insert into t_snap values ('E.customers', pg_temp.customers()), ('E.mirror_count', to_jsonb((select count(*) from ploomes_sync.deals)));

insert into t_call values ('R5', public.sync_claim('manual', 'full', false, 3600));
select is(pg_temp.res('R5') ->> 'mode', 'full', 'E: an explicit full pass');
select is(pg_temp.res('R5') ->> 'resumed', 'false', 'E: a new pass');
insert into t_call values ('R5.p1', public.sync_ingest_page(pg_temp.run_id('R5'),
  jsonb_build_array(pg_temp.d1_lost(), pg_temp.d2_moved(), pg_temp.d3_no_items()), '{"lastId": 5003}'));
select is(pg_temp.res('R5.p1') ->> 'unchanged', '3', 'E: the first page is unchanged');
insert into t_call values ('R5.end', public.sync_end_partial(pg_temp.run_id('R5')));

select is(pg_temp.res('R5.end') ->> 'status', 'partial', 'E: R5 ends partial');
select is((select count(*)::int from ploomes_sync.deals where deal_id = 5004), 1, 'E: a partial full pass deletes nothing');
select is(pg_temp.customers(), pg_temp.snap('E.customers'), 'E: a partial full pass leaves customer_sales untouched');
select is((select s.cursor from ploomes_sync.state s), pg_temp.pass_start('R4'), 'E: a partial full pass leaves the cursor');
select is((select s.last_full_pass_at from ploomes_sync.state s), pg_temp.pass_start('R1'), 'E: ... and last_full_pass_at');
select is(
  (select row(s.current_pass_id, s.lease_run_id)::text from ploomes_sync.state s),
  row(pg_temp.pass_id('R5'), null::bigint)::text, 'E: the pass stays current, the lease is free');

insert into t_call values ('R6', public.sync_claim('continue', 'auto', false, 3600));
select is(
  (select jsonb_build_object('resumed', r -> 'resumed', 'passId', r -> 'passId', 'mode', r -> 'mode', 'position', r -> 'position')
     from (select pg_temp.res('R6') r) x),
  jsonb_build_object('resumed', true, 'passId', pg_temp.pass_id('R5'), 'mode', 'full', 'position', '{"lastId": 5003}'::jsonb),
  'E: R6 resumes the full pass at its saved position (auto does not replace it)');
insert into t_call values ('R6.end', public.sync_fail_run(pg_temp.run_id('R6'), 'Ploomes answered 503 Service Unavailable',
  'Ploomes is unavailable; the pass resumes at the next run.', 502, '{"requests": 3, "retries": 2}'));
select is(
  (select row(r.status, r.http_status, r.error, r.error_hint, r.requests, r.retries, r.finished_at is not null, r.cursor_after)::text
     from ploomes_sync.runs r where r.id = pg_temp.run_id('R6')),
  row('failed', 502, 'Ploomes answered 503 Service Unavailable', 'Ploomes is unavailable; the pass resumes at the next run.',
      3, 2, true, null::timestamptz)::text,
  'E: sync_fail_run records status, http_status, error, hint and client counters');
select is(pg_temp.res('R6.end') ->> 'hint', 'Ploomes is unavailable; the pass resumes at the next run.', 'E: the summary carries the hint');
select is((select count(*)::int from ploomes_sync.deals where deal_id = 5004), 1, 'E: a failed run deletes nothing');
select is(pg_temp.customers(), pg_temp.snap('E.customers'), 'E: a failed run leaves customer_sales untouched');
select is((select s.cursor from ploomes_sync.state s), pg_temp.pass_start('R4'), 'E: a failed run does not move the cursor');
select is(
  (select row(s.current_pass_id, s.lease_run_id)::text from ploomes_sync.state s),
  row(pg_temp.pass_id('R5'), null::bigint)::text, 'E: after the failure the pass stays current and the lease is free');
select is((select p.status from ploomes_sync.passes p where p.id = pg_temp.pass_id('R5')), 'in_progress', 'E: the pass is still in progress');

-- sync_health after the failure.
select is((select consecutive_failures from public.sync_health), 1, 'health: one failure since the last success');
select is((select last_failure_error from public.sync_health), 'Ploomes answered 503 Service Unavailable', 'health: the last error');
select is((select last_failure_at from public.sync_health), pg_temp.finished('R6'), 'health: when it failed');
select is((select last_success_at from public.sync_health), pg_temp.finished('R4b'), 'health: the last success is R4b');
select is((select row(last_run_status, pass_in_progress, running)::text from public.sync_health),
  row('failed', true, false)::text, 'health: last run failed, a pass is in progress, nothing running');

insert into t_call values ('R7', public.sync_claim('continue', 'auto', false, 3600));
select is(
  (select jsonb_build_object('resumed', r -> 'resumed', 'passId', r -> 'passId', 'position', r -> 'position')
     from (select pg_temp.res('R7') r) x),
  jsonb_build_object('resumed', true, 'passId', pg_temp.pass_id('R5'), 'position', '{"lastId": 5003}'::jsonb),
  'E: R7 resumes the same pass, same position');
select is((select running from public.sync_health), true, 'health: running while R7 holds the lease');
insert into t_call values ('R7.p1', public.sync_ingest_page(pg_temp.run_id('R7'), jsonb_build_array(pg_temp.d5_items()), '{"lastId": 5005}'));
-- The sweep removes 1 of the 5 mirrored deals (5004): 1 / 5 = 20 %, above the default
-- SYNC_MAX_DELETE_RATIO of 10 %, and last_full_pass_at is set (R1), so the mass-delete guard would
-- stop this pass. E is about the sweep of an interrupted full pass, not the guard (that is
-- sync_guards.test.sql): allow up to 50 % here, as an account with few deals would configure it.
insert into t_call values ('R7.end', public.sync_finish_pass(pg_temp.run_id('R7'), p_max_delete_ratio => 0.5));
select is(
  (select jsonb_build_object('status', r -> 'status', 'dealsDeleted', r -> 'dealsDeleted', 'i', r -> 'customersInserted',
                             'u', r -> 'customersUpdated', 'd', r -> 'customersDeleted', 'n', r -> 'customersUnchanged')
     from (select pg_temp.res('R7.end') r) x),
  '{"status": "succeeded", "dealsDeleted": 1, "i": 0, "u": 0, "d": 1, "n": 0}'::jsonb,
  'E: the completed full pass sweeps one deal and deletes its customer; the others are not even recomputed (O(changes))');
select is((select count(*)::int from ploomes_sync.deals where deal_id = 5004), 0, 'E: the unseen deal is gone from the mirror');
select is(pg_temp.res('R7.end') -> 'warnings', '[]'::jsonb, 'E: a sweep within the allowed ratio carries no warning');
select is((select array_agg(customer_id order by customer_id) from public.customer_sales), '{201,203,205,206}'::bigint[],
  'E: customer 204 is deleted');
select is((select s.cursor from ploomes_sync.state s), pg_temp.pass_start('R5'), 'E: the cursor moves to the full pass''s start');
select is((select s.last_full_pass_at from ploomes_sync.state s), pg_temp.pass_start('R5'), 'E: last_full_pass_at too');
select is((select count(*)::int from public.customer_sales where last_sync_at = pg_temp.finish_at('R7')), 4,
  'E: a completed full pass confirms every row (last_sync_at)');
select is((select count(*)::int from public.customer_sales where updated_at <> '2001-01-01T00:00:00Z' and customer_id <> 203), 0,
  'E: ... without rewriting unchanged rows (updated_at)');

select is((select consecutive_failures from public.sync_health), 0, 'health: a success resets consecutive failures');
select is((select last_success_at from public.sync_health), pg_temp.finished('R7'), 'health: last success is R7');
select is((select last_failure_error from public.sync_health), 'Ploomes answered 503 Service Unavailable',
  'health: the last failure is still reported');

-- =============================================================================================
-- F. Reject ratio = deals_rejected / greatest(deals_seen + deals_rejected, mirror rows).
--    R8: the pass stores 4 deals (5001, 5002, 5003, 5005) and rejects 1 (5099): 4 + 1 = 5; the
--    mirror holds 4 rows (5001, 5002, 5003, 5005 after E swept 5004); greatest(5, 4) = 5;
--    1 / 5 = 20 % > 1 %: the pass fails, publishes nothing.
insert into t_snap values ('F.customers', pg_temp.customers());
insert into t_call values ('R8', public.sync_claim('manual', 'full', false, 3600));
insert into t_call values ('R8.p1', public.sync_ingest_page(pg_temp.run_id('R8'),
  jsonb_build_array(pg_temp.d1_lost(), pg_temp.d2_moved(), pg_temp.d3_no_items(), pg_temp.d5_won()), '{"lastId": 5099}',
  '[{"id": 5099, "reason": "StatusId: expected number, received string"}]'));
select is(pg_temp.res('R8.p1') ->> 'rejected', '1', 'F: the page reports its reject');
insert into t_call values ('R8.end', public.sync_finish_pass(pg_temp.run_id('R8')));
select is(pg_temp.res('R8.end') ->> 'status', 'failed', 'F: too many rejects fail the run');
select is((select r.http_status from ploomes_sync.runs r where r.id = pg_temp.run_id('R8')), 502, 'F: with http_status 502');
select matches(pg_temp.res('R8.end') ->> 'error', '^1 of 5 deals failed validation \(20\.00%\)', 'F: the error gives the ratio');
select is(
  (select row(r.deals_rejected, r.rejects)::text from ploomes_sync.runs r where r.id = pg_temp.run_id('R8')),
  row(1, '[{"id": 5099, "reason": "StatusId: expected number, received string"}]'::jsonb)::text,
  'F: the run keeps the reject and its reason');
select is((select s.cursor from ploomes_sync.state s), pg_temp.pass_start('R5'), 'F: the cursor did not move');
select is((select s.last_full_pass_at from ploomes_sync.state s), pg_temp.pass_start('R5'), 'F: last_full_pass_at did not move');
select is(pg_temp.customers(), pg_temp.snap('F.customers'), 'F: nothing was published');
select is((select p.status from ploomes_sync.passes p where p.id = pg_temp.pass_id('R8')), 'failed', 'F: the pass is failed');
select is(
  (select row(s.current_pass_id, s.lease_run_id)::text from ploomes_sync.state s),
  row(null::bigint, null::bigint)::text, 'F: no pass in progress, lease released');
select is((select array_agg(customer_id) from ploomes_sync.dirty_customers), '{205}'::bigint[],
  'F: the pending recompute of the changed customer is kept');
select is((select consecutive_failures from public.sync_health), 1, 'health: the reject failure counts');

-- R9 starts a new (incremental) pass and fails; R10 resumes it and succeeds.
insert into t_call values ('R9', public.sync_claim('cron', 'auto', false, 3600));
select is(pg_temp.res('R9') ->> 'resumed', 'false', 'F: a failed pass is not resumed');
select isnt(pg_temp.pass_id('R9'), pg_temp.pass_id('R8'), 'F: a new pass starts');
select is(pg_temp.res('R9') ->> 'mode', 'incremental', 'F: incremental, since the last full pass is recent');
insert into t_call values ('R9.end', public.sync_fail_run(pg_temp.run_id('R9'), 'Ploomes kept answering 429',
  'Lower PLOOMES_REQUESTS_PER_MINUTE.', 503));
select is(
  (select row(consecutive_failures, last_failure_error, last_failure_hint, last_failure_at, last_success_at)::text from public.sync_health),
  row(2, 'Ploomes kept answering 429', 'Lower PLOOMES_REQUESTS_PER_MINUTE.', pg_temp.finished('R9'), pg_temp.finished('R7'))::text,
  'health: two consecutive failures, the latest error and hint, last success unchanged');

insert into t_call values ('R10', public.sync_claim('continue', 'auto', false, 3600));
select is(pg_temp.res('R10') ->> 'passId', pg_temp.res('R9') ->> 'passId', 'F: R10 resumes R9''s pass');
insert into t_call values ('R10.end', public.sync_finish_pass(pg_temp.run_id('R10')));
select is(pg_temp.res('R10.end') ->> 'status', 'succeeded', 'F: R10 succeeds');
select is((select won_deals from public.customer_sales where customer_id = 205), 1,
  'F: the recompute left pending by the failed pass is published by the next completed pass');
select is(
  (select row(consecutive_failures, last_success_at, last_failure_error)::text from public.sync_health),
  row(0, pg_temp.finished('R10'), 'Ploomes kept answering 429')::text,
  'health: reset after the success; the last failure is still shown');

-- R11: exactly the allowed ratio is not "above": the pass completes. It stores 3 deals (5001,
-- 5002, 5005) and rejects 5003, which the mirror already holds: 3 + 1 = 4; the mirror holds 4 rows
-- (5001, 5002, 5003, 5005); greatest(4, 4) = 4; 1 / 4 = 25 %, max 0.25.
insert into t_call values ('R11', public.sync_claim('manual', 'full', false, 3600));
insert into t_call values ('R11.p1', public.sync_ingest_page(pg_temp.run_id('R11'),
  jsonb_build_array(pg_temp.d1_lost(), pg_temp.d2_moved(), pg_temp.d5_won()), '{"lastId": 5005}',
  '[{"id": 5003, "reason": "Amount: expected number, received string"}]'));
insert into t_call values ('R11.end', public.sync_finish_pass(pg_temp.run_id('R11'), p_max_reject_ratio => 0.25));
select is(pg_temp.res('R11.end') ->> 'status', 'succeeded', 'F: a reject ratio equal to the maximum passes');
select is(pg_temp.res('R11.end') ->> 'dealsRejected', '1', 'F: and the run counts its reject');
-- The full pass saw deal 5003 (Ploomes returned it; it only failed validation): mark-and-sweep
-- must not delete it from the mirror as if it had been deleted in Ploomes, nor its customer.
select is((select count(*)::int from ploomes_sync.deals where deal_id = 5003), 1,
  'F: a deal that was returned but rejected by validation is not swept from the mirror');
select is((select count(*)::int from public.customer_sales where customer_id = 203), 1,
  'F: its customer is not deleted because one deal failed validation');
select is((select array_agg(deal_id order by deal_id) from ploomes_sync.rejected_deals), '{5003}'::bigint[],
  'F: R11''s complete full pass keeps its own reject (5003) and drops 5099, rejected by R8''s failed pass and not seen since');

-- =============================================================================================
-- G. Dry run: reads, counts, writes nothing but its run row.
insert into t_snap values
  ('G.customers', pg_temp.customers()), ('G.mirror', pg_temp.mirror()),
  ('G.state', (select to_jsonb(s) from ploomes_sync.state s)),
  ('G.passes', to_jsonb((select count(*) from ploomes_sync.passes)));

insert into t_call values ('R12', public.sync_claim('cli', 'auto', true, 3600, 168, 300));
select is(
  (select jsonb_build_object('claimed', r -> 'claimed', 'dryRun', r -> 'dryRun', 'passId', r -> 'passId', 'mode', r -> 'mode')
     from (select pg_temp.res('R12') r) x),
  '{"claimed": true, "dryRun": true, "passId": null, "mode": "incremental"}'::jsonb, 'G: a dry run claims without a pass');
select is((pg_temp.res('R12') ->> 'since')::timestamptz, pg_temp.pass_start('R11') - interval '300 seconds',
  'G: and reports the since a real incremental pass would use');
-- New deal 5006; 5001 changed (amount); 5005's contact renamed (nothing else changed).
insert into t_snap values ('G.page', jsonb_build_array(
  pg_temp.deal(5006, 207, 2, 30, '2024-05-01T10:00:00-03:00', '2024-05-01T10:00:00-03:00'),
  pg_temp.deal(5001, 201, 3, 111, '2024-05-02T10:00:00-03:00', null, jsonb_build_array(pg_temp.item(1, 100))),
  pg_temp.deal(5005, 205, 2, 5, '2024-04-05T10:00:00-03:00', '2024-04-05T10:00:00-03:00', jsonb_build_array(pg_temp.item(9, 5)),
               null, 'Cliente 205 Renomeado')));
insert into t_call values ('R12.p1', public.sync_ingest_page(pg_temp.run_id('R12'), pg_temp.snap('G.page'), '{"lastId": 5006}'));
select is(pg_temp.res('R12.p1') ->> 'inserted', '1', 'G: the dry run counts the new deal');
insert into t_call values ('R12.end', public.sync_finish_pass(pg_temp.run_id('R12')));
select is(pg_temp.res('R12.end') ->> 'status', 'succeeded', 'G: the dry run succeeds');
select is(
  (select row(r.dry_run, r.pass_id, r.pages, r.deals_fetched, r.http_status)::text from ploomes_sync.runs r where r.id = pg_temp.run_id('R12')),
  row(true, null::bigint, 1, 3, 200)::text, 'G: its run row has the figures');
select is(pg_temp.mirror(), pg_temp.snap('G.mirror'), 'G: the mirror is untouched');
select is(pg_temp.customers(), pg_temp.snap('G.customers'), 'G: customer_sales is untouched');
select is((select count(*)::int from ploomes_sync.dirty_customers), 0, 'G: nothing marked dirty');
select is((select count(*)::int from ploomes_sync.passes), (pg_temp.snap('G.passes') #>> '{}')::int, 'G: no pass created');
select is((select to_jsonb(s) from ploomes_sync.state s), pg_temp.snap('G.state'),
  'G: state (cursor, pass, last full pass) is as before, lease released');
select is((select last_success_at from public.sync_health), pg_temp.finished('R11'), 'health: a dry run is not a sync success');

-- The same page for real: the dry run's figures should have predicted these.
insert into t_call values ('R13', public.sync_claim('cli', 'incremental', false, 3600));
insert into t_call values ('R13.p1', public.sync_ingest_page(pg_temp.run_id('R13'), pg_temp.snap('G.page'), '{"lastId": 5006}'));
select is(pg_temp.res('R13.p1'), '{"stored": 3, "inserted": 1, "updated": 2, "unchanged": 0, "rejected": 0}'::jsonb,
  'G: the real run writes 1 new and 2 changed deals (a renamed contact is a change)');
-- The dry run compares the same columns as the real upsert (ploomes_sync.deal_values).
select is(pg_temp.res('R12.p1'), pg_temp.res('R13.p1'), 'G: the dry run reports the same page figures as the real run');
insert into t_call values ('R13.end', public.sync_finish_pass(pg_temp.run_id('R13')));
select is((select customer_name from public.customer_sales where customer_id = 205), 'Cliente 205 Renomeado',
  'G: the real run publishes the renamed contact');

-- =============================================================================================
-- H. When auto means full: p_full_every_hours after the last full pass, or no cursor at all.
update ploomes_sync.state set last_full_pass_at = now() - interval '160 hours';
insert into t_call values ('R14', public.sync_claim('cron', 'auto', false, 3600, 168));
select is(pg_temp.res('R14') ->> 'mode', 'incremental', 'H: last full pass 160 h ago, every 168 h: incremental');
insert into t_call values ('R14.end', public.sync_finish_pass(pg_temp.run_id('R14')));
update ploomes_sync.state set last_full_pass_at = now() - interval '170 hours';
insert into t_call values ('R15', public.sync_claim('cron', 'auto', false, 3600, 168));
select is(pg_temp.res('R15') ->> 'mode', 'full', 'H: last full pass 170 h ago, every 168 h: full');
-- R15 reads no page, so its sweep removes every mirrored deal (100 %); the mass-delete guard
-- (sync_guards.test.sql) would stop it. H is about when auto means full: allow the whole mirror.
insert into t_call values ('R15.end', public.sync_finish_pass(pg_temp.run_id('R15'), p_max_delete_ratio => 1));
select is(pg_temp.res('R15.end') ->> 'status', 'succeeded', 'H: the full pass completes');
select is((select s.last_full_pass_at from ploomes_sync.state s), pg_temp.pass_start('R15'), 'H: the full pass resets last_full_pass_at');
update ploomes_sync.state set cursor = null;
insert into t_call values ('R16', public.sync_claim('cli', 'incremental', false, 3600));
select is(pg_temp.res('R16') ->> 'mode', 'full', 'H: incremental without a cursor falls back to full');
select is((select r.warnings from ploomes_sync.runs r where r.id = pg_temp.run_id('R16')),
  '["incremental was requested but there is no cursor yet: the first pass is a full pass"]'::jsonb,
  'H: ... and says so on the run');

-- store_deals inserts a page's deal_row positionally: the mirror must begin with its attributes,
-- same names (id is deal_id) and types, same order — or two text columns could swap silently.
select is(
  (select array_agg(replace(a.attname::text, 'deal_id', 'id') || ' ' || format_type(a.atttypid, a.atttypmod) order by a.attnum)
     from pg_attribute a
    where a.attrelid = 'ploomes_sync.deals'::regclass and a.attnum > 0 and not a.attisdropped
      and a.attname not in ('seen_pass_id', 'synced_at')),
  array['id bigint', 'contact_id bigint', 'contact_name text', 'contact_type_id integer', 'contact_cnpj text',
        'contact_cpf text', 'status_id integer', 'amount numeric', 'create_date timestamp with time zone',
        'finish_date timestamp with time zone', 'last_update_date timestamp with time zone', 'last_update_raw text',
        'line_items jsonb'],
  'the mirror''s deal columns are ploomes_sync.deal_row''s attributes, in order');

select * from finish();
rollback;
