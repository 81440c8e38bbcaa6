-- Rejected deals (20261201000200, 20261201000500 (a) and (c), 20261201000600): a deal that fails
-- validation — in the Edge Function (p_rejects) or because the database refuses its row — is
-- rejected alone, listed in ploomes_sync.rejected_deals, and leaves the list when a valid version
-- is stored or a complete full pass no longer sees it. Also: run warnings kept once per text, the
-- reject ratio's denominator greatest(pass deals, mirror rows), and sync_health.rejected_deals.
-- One story, in order:
--   R1  first full pass: a page with three rows the database refuses and one JS reject; 296 fillers
--   R2  incremental: rejected again (first_seen_at kept), healing, warnings deduplicated
--   R3  dry run: writes and heals no reject
--   R4  incremental that fails on the reject ratio taken of the mirror
--   R5  complete full pass: drops the rejects it did not see
--   R6  incremental: the last rejected deal heals
--   R7  two migration bugs (see the report): a repeated id counted twice, a reason that leaks
begin;
set local search_path = extensions, public;
select plan(38);

\i supabase/tests/support/reset_sync_state.sql

create temp table t_call (k text primary key, res jsonb not null) on commit drop;
create temp table t_snap (k text primary key, v jsonb) on commit drop;
create function pg_temp.res(p_k text) returns jsonb language sql stable
  as $$ select c.res from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.run_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'runId')::bigint from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.pass_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'passId')::bigint from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.snap(p_k text) returns jsonb language sql stable
  as $$ select s.v from pg_temp.t_snap s where s.k = p_k $$;
create function pg_temp.rejects() returns jsonb language sql stable
  as $$ select coalesce(jsonb_agg(to_jsonb(r) order by r.deal_id), '[]') from ploomes_sync.rejected_deals r $$;
create function pg_temp.rejected_ids() returns bigint[] language sql stable
  as $$ select coalesce(array_agg(r.deal_id order by r.deal_id), '{}') from ploomes_sync.rejected_deals r $$;

-- A valid deal as the Edge Function sends it; a refused one is a valid one with a bad value on top.
create function pg_temp.deal(p_id bigint, p_contact bigint, p_status integer default 2, p_amount numeric default 10,
  p_updated text default '2024-01-01T10:00:00-03:00') returns jsonb language sql immutable as $$
  select jsonb_build_object(
    'id', p_id, 'contact_id', p_contact, 'contact_name', 'Cliente ' || p_contact, 
    'contact_type_id', 1, 'contact_cnpj', null, 'contact_cpf', null, 'status_id', p_status, 'amount', p_amount,
    'create_date', p_updated, 'finish_date', p_updated, 'last_update_date', p_updated, 'last_update_raw', p_updated,
    'line_items', '[]'::jsonb)
$$;
-- 296 valid open deals (7101..7396) of customer 310, so the mirror is large enough for the ratios below.
create function pg_temp.filler() returns jsonb language sql immutable as $$
  select jsonb_agg(pg_temp.deal(7100 + i, 310, 1, 1) order by i) from generate_series(1, 296) i
$$;

-- The reasons, by hand: 'the database refused the row (SQLSTATE <code>: <message>)' with every
-- double-quoted value in the message replaced by "…".
create function pg_temp.r_amount() returns text language sql immutable as $$
  select 'the database refused the row (SQLSTATE 22P02: invalid input syntax for type numeric: "…")'::text $$;
create function pg_temp.r_date() returns text language sql immutable as $$
  select 'the database refused the row (SQLSTATE 22008: date/time field value out of range: "…")'::text $$;
create function pg_temp.r_status() returns text language sql immutable as $$
  select 'the database refused the row (SQLSTATE 22003: value "…" is out of range for type integer)'::text $$;

-- =============================================================================================
-- R1, the first full pass. Page 1: 7001 and 7003 are valid; the database refuses 7002 (Amount
-- "abc"), 7005 (LastUpdateDate 2024-13-45) and 7006 (StatusId 10^12, not an integer); the Edge
-- Function already rejected 7004.
insert into t_call values ('R1', public.sync_claim('cron', 'auto', false, 3600));
insert into t_call values ('R1.p1', public.sync_ingest_page(pg_temp.run_id('R1'), jsonb_build_array(
    pg_temp.deal(7001, 301),
    pg_temp.deal(7002, 302) || '{"amount": "abc"}',
    pg_temp.deal(7003, 303),
    pg_temp.deal(7005, 305) || '{"last_update_date": "2024-13-45T00:00:00Z", "last_update_raw": "2024-13-45T00:00:00Z"}',
    pg_temp.deal(7006, 306) || '{"status_id": 1000000000000}'),
  '{"lastId": 7006}',
  p_rejects => '[{"id": 7004, "field": "Amount", "reason": "Amount: expected a number from 0 to 100000000000"}]'));

select is(pg_temp.res('R1.p1'), '{"stored": 2, "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 4}'::jsonb,
  'R1: the two valid rows are stored; 3 refused rows + 1 JS reject = 4 rejected');
select is((select array_agg(deal_id order by deal_id) from ploomes_sync.deals where deal_id between 7001 and 7006), '{7001,7003}'::bigint[],
  'R1: the rows around the refused ones are in the mirror, the refused ones are not');
select results_eq(
  $$select deal_id, field, reason from ploomes_sync.rejected_deals order by deal_id$$,
  $$values (7002::bigint, '(row)'::text, pg_temp.r_amount()),
           (7004, 'Amount', 'Amount: expected a number from 0 to 100000000000'),
           (7005, '(row)', pg_temp.r_date()),
           (7006, '(row)', pg_temp.r_status())$$,
  'R1: each rejected deal is listed with its field ((row) when the database refused it) and reason');
select is((select count(*)::int from ploomes_sync.rejected_deals
            where reason like '%abc%' or reason like '%2024-13-45%' or reason like '%1000000000000%'), 0,
  'R1: no reason quotes the refused value');
select is(
  (select count(*)::int from ploomes_sync.rejected_deals
    where last_run_id = pg_temp.run_id('R1') and seen_pass_id = pg_temp.pass_id('R1') and first_seen_at = last_seen_at),
  4, 'R1: every reject names the run and pass that saw it; first seen = last seen');
select is((select array_agg(customer_id order by customer_id) from ploomes_sync.dirty_customers), '{301,303}'::bigint[],
  'R1: only the stored rows mark their customers for recompute');
select is((select r.rejects from ploomes_sync.runs r where r.id = pg_temp.run_id('R1')),
  jsonb_build_array(
    '{"id": 7004, "field": "Amount", "reason": "Amount: expected a number from 0 to 100000000000"}'::jsonb,
    jsonb_build_object('id', 7002, 'field', '(row)', 'reason', pg_temp.r_amount()),
    jsonb_build_object('id', 7005, 'field', '(row)', 'reason', pg_temp.r_date()),
    jsonb_build_object('id', 7006, 'field', '(row)', 'reason', pg_temp.r_status())),
  'R1: the run logs the JS reject, then the refused rows in page order');

insert into t_call values ('R1.p2', public.sync_ingest_page(pg_temp.run_id('R1'), pg_temp.filler(), '{"lastId": 7396}'));
select is(pg_temp.res('R1.p2') ->> 'stored', '296', 'R1: page 2 (the fillers) is stored in one statement');
select is(
  (select row(p.deals_seen, p.deals_rejected, r.deals_fetched, r.deals_rejected)::text
     from ploomes_sync.passes p join ploomes_sync.runs r on r.pass_id = p.id where r.id = pg_temp.run_id('R1')),
  row(298, 4, 298, 4)::text, 'R1: pass and run count 2 + 296 = 298 deals stored and 4 rejected');

-- Reject ratio: 4 / greatest(298 + 4, 298 mirror rows) = 4 / 302 = 1.32 %, allowed here up to 2 %.
insert into t_call values ('R1.end', public.sync_finish_pass(pg_temp.run_id('R1'), p_max_reject_ratio => 0.02));
select is(pg_temp.res('R1.end') ->> 'status', 'succeeded', 'R1: 4 / 302 = 1.32 % <= 2 %: the pass completes');
select is(pg_temp.rejected_ids(), '{7002,7004,7005,7006}'::bigint[], 'R1: the complete pass keeps the rejects it saw');
select is((select rejected_deals from public.sync_health), 4, 'health: 4 deals rejected right now');
select is((select array_agg(customer_id order by customer_id) from public.customer_sales), '{301,303,310}'::bigint[],
  'R1: the rejected deals count for no customer (302, 305, 306 absent)');

-- =============================================================================================
-- R2, incremental. Time passes (simulated): every reject was first and last seen on 2020-01-01.
update ploomes_sync.rejected_deals set first_seen_at = '2020-01-01T00:00:00Z', last_seen_at = '2020-01-01T00:00:00Z';
insert into t_call values ('R2', public.sync_claim('cron', 'auto', false, 3600));
-- 7001 unchanged; 7002 edited but its Amount still refused; 7005 now valid; 7004 rejected again
-- by the Edge Function, for another field. Warnings: one repeated, one non-string (ignored).
insert into t_call values ('R2.p1', public.sync_ingest_page(pg_temp.run_id('R2'), jsonb_build_array(
    pg_temp.deal(7001, 301),
    pg_temp.deal(7002, 302, 2, 10, '2024-02-01T10:00:00-03:00') || '{"amount": "abc"}',
    pg_temp.deal(7005, 305, 2, 10, '2024-02-05T10:00:00-03:00')),
  '{"lastUpdateDate": "2024-02-05T10:00:00-03:00", "lastId": 7005}',
  p_rejects => '[{"id": 7004, "field": "Products.3.Discount", "reason": "Discount: expected a number from 0 to 100"}]',
  p_warnings => '["Ploomes answered 100 of 300 rows", "Ploomes answered 100 of 300 rows", 42, "Ploomes sent a nextLink; ignored"]'));

select is(pg_temp.res('R2.p1'), '{"stored": 2, "inserted": 1, "updated": 0, "unchanged": 1, "rejected": 2}'::jsonb,
  'R2: 7005 inserted, 7001 unchanged; 7002 and 7004 rejected');
select is(
  (select row((select count(*) from ploomes_sync.deals where deal_id = 7005), (select count(*) from ploomes_sync.rejected_deals where deal_id = 7005))::text),
  row(1, 0)::text, 'R2: healing: 7005, stored at last, leaves rejected_deals');
select is(
  (select row(field, reason, first_seen_at, last_seen_at >= now(), last_run_id, seen_pass_id)::text from ploomes_sync.rejected_deals where deal_id = 7002),
  row('(row)', pg_temp.r_amount(), '2020-01-01T00:00:00Z'::timestamptz, true, pg_temp.run_id('R2'), pg_temp.pass_id('R2'))::text,
  'R2: refused again, 7002 keeps first_seen_at; last_seen_at, last_run_id and seen_pass_id move');
select is(
  (select row(field, reason, first_seen_at, last_seen_at >= now(), last_run_id)::text from ploomes_sync.rejected_deals where deal_id = 7004),
  row('Products.3.Discount', 'Discount: expected a number from 0 to 100', '2020-01-01T00:00:00Z'::timestamptz, true, pg_temp.run_id('R2'))::text,
  'R2: rejected again by the Edge Function, 7004 keeps first_seen_at and shows the latest field and reason');
select is(
  (select row(last_seen_at, last_run_id, seen_pass_id)::text from ploomes_sync.rejected_deals where deal_id = 7006),
  row('2020-01-01T00:00:00Z'::timestamptz, pg_temp.run_id('R1'), pg_temp.pass_id('R1'))::text,
  'R2: a reject this pass did not see is left as it was');
select is((select array_agg(w order by w) from ploomes_sync.runs r, jsonb_array_elements_text(r.warnings) w where r.id = pg_temp.run_id('R2')),
  array['Ploomes answered 100 of 300 rows', 'Ploomes sent a nextLink; ignored'],
  'R2: a warning repeated in one page is kept once; a non-string one is ignored');

insert into t_call values ('R2.p2', public.sync_ingest_page(pg_temp.run_id('R2'), '[]', '{"lastUpdateDate": "2024-02-05T10:00:00-03:00", "lastId": 7005}',
  p_warnings => '["Ploomes sent a nextLink; ignored", "Ploomes answered an empty page once"]'));
select is((select array_agg(w order by w) from ploomes_sync.runs r, jsonb_array_elements_text(r.warnings) w where r.id = pg_temp.run_id('R2')),
  array['Ploomes answered 100 of 300 rows', 'Ploomes answered an empty page once', 'Ploomes sent a nextLink; ignored'],
  'R2: a warning already on the run is not added again by a later page; a new one is');

-- Reject ratio: 2 / greatest(2 + 2, 299 mirror rows (298 + 7005)) = 2 / 299 = 0.67 % <= 1 %.
-- (Of the pass alone it would be 2 / 4 = 50 %: one bad deal would fail every incremental run.)
insert into t_call values ('R2.end', public.sync_finish_pass(pg_temp.run_id('R2')));
select is(
  (select row(r ->> 'status', r ->> 'dealsRejected', p.deals_seen, p.deals_rejected)::text
     from (select pg_temp.res('R2.end') r) x, ploomes_sync.passes p where p.id = pg_temp.pass_id('R2')),
  row('succeeded', '2', 2, 2)::text, 'R2: 2 rejects of a 4-deal pass, over a 299-deal mirror (0.67 %): the pass completes');
select is((select rejected_deals from public.sync_health), 3, 'health: 3 deals rejected (7005 healed)');

-- =============================================================================================
-- R3, a dry run: a valid 7002, a refused 7008, a JS reject of 7009. Counts them, writes nothing.
insert into t_snap values ('R3.rejects', pg_temp.rejects());
insert into t_call values ('R3', public.sync_claim('cli', 'auto', true, 3600));
insert into t_call values ('R3.p1', public.sync_ingest_page(pg_temp.run_id('R3'), jsonb_build_array(
    pg_temp.deal(7002, 302, 2, 10, '2024-03-01T10:00:00-03:00'),
    pg_temp.deal(7008, 308) || '{"create_date": "2024-13-45T00:00:00Z"}'),
  '{"lastId": 7008}', p_rejects => '[{"id": 7009, "field": "StatusId", "reason": "StatusId: expected 1, 2 or 3"}]'));
select is(pg_temp.res('R3.p1'), '{"stored": 1, "inserted": 1, "updated": 0, "unchanged": 0, "rejected": 2}'::jsonb,
  'R3: the dry run counts 1 new deal and 2 rejects');
select is(pg_temp.rejects(), pg_temp.snap('R3.rejects'),
  'R3: a dry run adds no reject (7008, 7009) and heals none (7002 is still listed)');
select is(
  (select row(r.deals_rejected, jsonb_array_length(r.rejects), (select count(*) from ploomes_sync.deals where deal_id in (7002, 7008)))::text
     from ploomes_sync.runs r where r.id = pg_temp.run_id('R3')),
  row(2, 2, 0)::text, 'R3: only its run row records the rejects; the mirror is untouched');
insert into t_call values ('R3.end', public.sync_finish_pass(pg_temp.run_id('R3')));

-- =============================================================================================
-- R4, incremental: 7006 refused again, 7004 rejected again, and a reject without a usable Id.
insert into t_call values ('R4', public.sync_claim('cron', 'auto', false, 3600));
insert into t_call values ('R4.p1', public.sync_ingest_page(pg_temp.run_id('R4'),
  jsonb_build_array(pg_temp.deal(7006, 306) || '{"status_id": 1000000000000}'),
  '{"lastUpdateDate": "2024-01-01T10:00:00-03:00", "lastId": 7006}',
  p_rejects => '[{"id": 7004, "field": "Products.3.Discount", "reason": "Discount: expected a number from 0 to 100"},
                 {"id": null, "field": "Id", "reason": "Id: expected a positive integer"}]'));
select is(pg_temp.res('R4.p1') ->> 'rejected', '3', 'R4: three rejects (one of them without an Id)');
select is(pg_temp.rejected_ids(), '{7002,7004,7006}'::bigint[], 'R4: a reject without an Id is counted but not listed');
-- Reject ratio: 3 / greatest(0 + 3, 299 mirror rows) = 3 / 299 = 1.0033 % > 1 % -> 1.00 %.
insert into t_call values ('R4.end', public.sync_finish_pass(pg_temp.run_id('R4')));
select is(
  (select row(r ->> 'status', r ->> 'error')::text from (select pg_temp.res('R4.end') r) x),
  row('failed', '3 of 299 deals failed validation (1.00%), above SYNC_MAX_REJECT_RATIO = 0.01')::text,
  'R4: 3 of 299 (the mirror, larger than the 3-deal pass) is 1.00 % > 1 %: the pass fails');
select matches(pg_temp.res('R4.end') ->> 'hint', 'ploomes_sync\.rejected_deals', 'R4: the hint points at rejected_deals');

-- =============================================================================================
-- R5, a complete full pass that sees every mirrored deal and rejects 7002 again; 7004 and 7006
-- (no longer in Ploomes, say) are not seen.
insert into t_call values ('R5', public.sync_claim('manual', 'full', false, 3600));
insert into t_call values ('R5.p1', public.sync_ingest_page(pg_temp.run_id('R5'),
  jsonb_build_array(pg_temp.deal(7001, 301), pg_temp.deal(7003, 303), pg_temp.deal(7005, 305, 2, 10, '2024-02-05T10:00:00-03:00'))
    || pg_temp.filler(),
  '{"lastId": 7396}', p_rejects => '[{"id": 7002, "field": "Amount", "reason": "Amount: expected a number"}]'));
select is(pg_temp.res('R5.p1') ->> 'stored', '299', 'R5: 3 + 296 = 299 deals seen');
-- Reject ratio: 1 / greatest(299 + 1, 299) = 1 / 300 = 0.33 %; nothing to sweep.
insert into t_call values ('R5.end', public.sync_finish_pass(pg_temp.run_id('R5')));
select is((select row(r ->> 'status', r ->> 'dealsDeleted')::text from (select pg_temp.res('R5.end') r) x),
  row('succeeded', '0')::text, 'R5: the full pass completes and deletes nothing');
select is(pg_temp.rejected_ids(), '{7002}'::bigint[],
  'R5: a complete full pass drops the rejects it did not see (7004, 7006) and keeps its own (7002)');
select is((select rejected_deals from public.sync_health), 1, 'health: 1 deal rejected');

-- =============================================================================================
-- R6, incremental: Ploomes finally sends a valid 7002.
insert into t_call values ('R6', public.sync_claim('cron', 'auto', false, 3600));
insert into t_call values ('R6.p1', public.sync_ingest_page(pg_temp.run_id('R6'),
  jsonb_build_array(pg_temp.deal(7002, 302, 2, 10, '2024-03-01T10:00:00-03:00')),
  '{"lastUpdateDate": "2024-03-01T10:00:00-03:00", "lastId": 7002}'));
insert into t_call values ('R6.end', public.sync_finish_pass(pg_temp.run_id('R6')));
select is(pg_temp.rejected_ids(), '{}'::bigint[], 'R6: the stored 7002 leaves rejected_deals');
select is((select total_sales from public.customer_sales where customer_id = 302), 10.00::numeric(15, 2),
  'R6: and counts for its customer (302: one won deal of 10)');
select is((select rejected_deals from public.sync_health), 0, 'health: no deal rejected');

-- =============================================================================================
-- R7, incremental: a page that repeats deal 7010 (two versions) next to a row the database
-- refuses (7011, whose Amount contains a double quote).
insert into t_call values ('R7', public.sync_claim('cron', 'auto', false, 3600));
insert into t_call values ('R7.p1', public.sync_ingest_page(pg_temp.run_id('R7'), jsonb_build_array(
    pg_temp.deal(7010, 310, 2, 1, '2024-04-01T10:00:00-03:00'),
    pg_temp.deal(7010, 310, 2, 2, '2024-04-02T10:00:00-03:00'),
    pg_temp.deal(7011, 311) || jsonb_build_object('amount', '12"; secret')),
  '{"lastUpdateDate": "2024-04-02T10:00:00-03:00", "lastId": 7011}'));
-- Without the refused row this page stores 1 deal (parse_deals keeps one version per id); the
-- row-by-row retry must count the same, or stored, deals_fetched and the pass's deals_seen (the
-- reject ratio's base) would count 7010 twice.
select is(pg_temp.res('R7.p1'), '{"stored": 1, "inserted": 1, "updated": 0, "unchanged": 0, "rejected": 1}'::jsonb,
  'R7: a repeated id is counted once even when the page is retried row by row');
-- PostgreSQL quotes the value without escaping its own quotes (invalid input syntax for type
-- numeric: "12"; secret"), so the reason must blank from the first quote to the last.
select is((select reason from ploomes_sync.rejected_deals where deal_id = 7011), pg_temp.r_amount(),
  'R7: a reason never quotes the refused value, even one containing a double quote');

select * from finish();
rollback;
