-- The mass-delete guard (20261201000500 (b)): a complete full pass that would delete more than
-- p_max_delete_ratio of the mirrored deals fails the run (502) with a hint, deletes and publishes
-- nothing, fails the pass and moves neither the cursor nor last_full_pass_at — unless it is the
-- first full pass ever, or public.sync_allow_mass_delete() allowed it (once, with a warning).
-- Deal 80nn belongs to customer 4nn. One story, in order:
--   M1/M2  the first full pass ever (after a source change abandoned M1) deletes 2 of 4: exempt
--   M3     incremental: the mirror grows to 11 deals
--   M3b    full pass deleting 1 of 11 (9.1 %): within the default 10 %
--   M4     full pass deleting 5 of 10 (50 %): stopped
--   M5     allowance; an incremental pass does not spend it
--   M6     full pass deleting 5 of 10 under the allowance: completes with a warning, spends it
--   M7     full pass deleting 4 of 5 (80 %): stopped again (the allowance was for one pass)
--   M8     full pass deleting 1 of 5 (20 %) with p_max_delete_ratio 0.2: completes
begin;
set local search_path = extensions, public;
select plan(34);

\i supabase/tests/support/reset_sync_state.sql

create temp table t_call (k text primary key, res jsonb not null) on commit drop;
create temp table t_snap (k text primary key, v jsonb) on commit drop;
create function pg_temp.res(p_k text) returns jsonb language sql stable
  as $$ select c.res from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.run_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'runId')::bigint from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.pass_start(p_k text) returns timestamptz language sql stable
  as $$ select p.started_at from ploomes_sync.passes p where p.id = (pg_temp.res(p_k) ->> 'passId')::bigint $$;
create function pg_temp.snap(p_k text) returns jsonb language sql stable
  as $$ select s.v from pg_temp.t_snap s where s.k = p_k $$;
create function pg_temp.customers() returns jsonb language sql stable
  as $$ select coalesce(jsonb_agg(to_jsonb(c) order by c.customer_id), '[]') from public.customer_sales c $$;
-- The mirror without the seen-stamps (a stopped pass still stamps the deals it read).
create function pg_temp.mirror() returns jsonb language sql stable
  as $$ select coalesce(jsonb_agg(to_jsonb(d) - 'seen_pass_id' order by d.deal_id), '[]') from ploomes_sync.deals d $$;
create function pg_temp.mirror_ids() returns bigint[] language sql stable
  as $$ select coalesce(array_agg(d.deal_id order by d.deal_id), '{}') from ploomes_sync.deals d $$;
create function pg_temp.state() returns text language sql stable
  as $$ select row(s.cursor, s.last_full_pass_at, s.current_pass_id, s.lease_run_id)::text from ploomes_sync.state s $$;

-- Deals p_from..p_to, each won for 10 by customer deal_id - 7600 (8001 -> 401).
create function pg_temp.deals(p_from bigint, p_to bigint) returns jsonb language sql immutable as $$
  select jsonb_agg(jsonb_build_object(
    'id', i, 'contact_id', i - 7600, 'contact_name', 'Cliente ' || (i - 7600), 
    'contact_type_id', 1, 'contact_cnpj', null, 'contact_cpf', null, 'status_id', 2, 'amount', 10,
    'create_date', '2024-01-01T10:00:00-03:00', 'finish_date', '2024-01-01T10:00:00-03:00',
    'last_update_date', '2024-01-01T10:00:00-03:00', 'last_update_raw', '2024-01-01T10:00:00-03:00',
    'line_items', '[]'::jsonb) order by i)
  from generate_series(p_from, p_to) i
$$;
-- A full (or incremental) pass over one page, finished: claim, ingest, finish.
create function pg_temp.pass(p_k text, p_mode text, p_page jsonb, p_ratio numeric default 0.1, p_source text default 'https://b.example')
returns void language plpgsql as $$
begin
  insert into pg_temp.t_call values (p_k, public.sync_claim('manual', p_mode, false, 3600, 168, 300, p_source));
  -- A one-page full pass: the page covers the Id space up to its last Id ({"lastId"} = one range).
  perform public.sync_ingest_page(pg_temp.run_id(p_k), p_page,
    jsonb_build_object('lastId', (select max((e ->> 'id')::bigint) from jsonb_array_elements(p_page) e)));
  insert into pg_temp.t_call values (p_k || '.end', public.sync_finish_pass(pg_temp.run_id(p_k), p_max_delete_ratio => p_ratio));
end $$;

-- =============================================================================================
-- M1 stores 8001..8004 from source a and stops (partial); a new source b abandons its pass. M2,
-- the first full pass ever (last_full_pass_at is null), sees only 8001 and 8002: it deletes 2 of
-- the 4 mirrored deals (50 %), which the guard lets through: there is nothing established to protect.
insert into t_call values ('M1', public.sync_claim('cron', 'auto', false, 3600, 168, 300, 'https://a.example'));
insert into t_call values ('M1.p1', public.sync_ingest_page(pg_temp.run_id('M1'), pg_temp.deals(8001, 8004), '{"lastId": 8004}'));
insert into t_call values ('M1.end', public.sync_end_partial(pg_temp.run_id('M1')));
select is((select last_full_pass_at from ploomes_sync.state), null::timestamptz, 'M1: no full pass has completed yet');
select pg_temp.pass('M2', 'auto', pg_temp.deals(8001, 8002));
select is((select row(r ->> 'mode', r ->> 'status', r ->> 'dealsDeleted')::text from (select pg_temp.res('M2.end') r) x),
  row('full', 'succeeded', '2')::text, 'M2: the first full pass ever deletes 2 of 4 (50 %) and completes');
select is((select count(*)::int from ploomes_sync.runs r, jsonb_array_elements_text(r.warnings) w
            where r.id = pg_temp.run_id('M2') and w like 'deleted %'), 0, 'M2: the exemption needs no allowance and warns of none');
select is((select last_full_pass_at from ploomes_sync.state), pg_temp.pass_start('M2'), 'M2: last_full_pass_at is set');

-- M3, incremental: 8003..8011 arrive; the mirror holds 8001..8011 (11 deals).
select pg_temp.pass('M3', 'incremental', pg_temp.deals(8003, 8011));
select is(pg_temp.mirror_ids(), array(select generate_series(8001, 8011)::bigint), 'M3: 11 mirrored deals');

-- M3b: a full pass that no longer sees 8011: 1 / 11 = 9.09 % <= 10 % (the default): it completes.
select pg_temp.pass('M3b', 'full', pg_temp.deals(8001, 8010));
select is((select row(r ->> 'status', r ->> 'dealsDeleted', r -> 'warnings')::text from (select pg_temp.res('M3b.end') r) x),
  row('succeeded', '1', '[]'::jsonb)::text, 'M3b: deleting 1 of 11 (9.1 %) is within the ratio: no stop, no warning');

-- =============================================================================================
-- M4: a full pass that sees only 8001..8005: it would delete 5 of the 10 mirrored deals (50 %).
insert into t_snap values ('M4.customers', pg_temp.customers()), ('M4.mirror', pg_temp.mirror()), ('M4.state', to_jsonb(pg_temp.state()));
select pg_temp.pass('M4', 'full', pg_temp.deals(8001, 8005));

select is(
  (select row(r.status, r.http_status, r.deals_deleted)::text from ploomes_sync.runs r where r.id = pg_temp.run_id('M4')),
  row('failed', 502, 0)::text, 'M4: the run fails with 502 and deletes no deal');
select is(pg_temp.res('M4.end') ->> 'error',
  'this full pass would delete 5 of the 10 mirrored deals (50.0%), above SYNC_MAX_DELETE_RATIO = 0.1',
  'M4: the error gives the count, the mirror size, the share (5 / 10 = 50.0 %) and the ratio');
select ok(strpos(pg_temp.res('M4.end') ->> 'hint', 'select public.sync_allow_mass_delete();') > 0,
  'M4: the hint says how to allow it: select public.sync_allow_mass_delete();');
select is(pg_temp.mirror_ids(), array(select generate_series(8001, 8010)::bigint), 'M4: all 10 deals are still mirrored');
select is(pg_temp.mirror(), pg_temp.snap('M4.mirror'), 'M4: the mirror is unchanged (but for the seen-stamps)');
select is(pg_temp.customers(), pg_temp.snap('M4.customers'), 'M4: customer_sales is untouched (rows, metrics, last_sync_at, updated_at)');
select is(pg_temp.state(), pg_temp.snap('M4.state') #>> '{}',
  'M4: cursor and last_full_pass_at did not move; no pass in progress; lease released');
select is((select p.status from ploomes_sync.passes p where p.id = (pg_temp.res('M4') ->> 'passId')::bigint), 'failed', 'M4: the pass is failed');
select is((select row(last_failure_error, consecutive_failures)::text from public.sync_health),
  row(pg_temp.res('M4.end') ->> 'error', 1)::text, 'health: the stop is the last failure');

-- =============================================================================================
-- M5: the operator allows it; an incremental pass completes without spending the allowance.
insert into t_call values ('allow', public.sync_allow_mass_delete());
select is((select mass_delete_allowed_at from ploomes_sync.state), (pg_temp.res('allow') ->> 'allowedAt')::timestamptz,
  'allow: sync_allow_mass_delete records (and returns) when it was allowed');
select ok(pg_temp.res('allow') ->> 'note' like '%trigger_customer_sales_sync(''full'')%', 'allow: its note says how to run the full pass');
select pg_temp.pass('M5', 'incremental', '[]');
select is((select row(r ->> 'mode', r ->> 'status')::text from (select pg_temp.res('M5.end') r) x), row('incremental', 'succeeded')::text,
  'M5: an incremental pass completes');
select isnt((select mass_delete_allowed_at from ploomes_sync.state), null::timestamptz, 'M5: an incremental pass leaves the allowance');

-- M6: the same full pass as M4, now allowed: 5 of 10 deleted, with a warning.
select pg_temp.pass('M6', 'full', pg_temp.deals(8001, 8005));
select is((select row(r ->> 'status', r ->> 'dealsDeleted', r ->> 'customersDeleted')::text from (select pg_temp.res('M6.end') r) x),
  row('succeeded', '5', '5')::text, 'M6: the allowed full pass deletes the 5 unseen deals and their 5 customers');
select is(pg_temp.res('M6.end') -> 'warnings',
  jsonb_build_array('deleted 5 of 10 mirrored deals, above SYNC_MAX_DELETE_RATIO = 0.1, as allowed by sync_allow_mass_delete() at '
                    || (pg_temp.res('allow') ->> 'allowedAt')),
  'M6: the run warns what it deleted under the allowance, and when that was given');
select is((select mass_delete_allowed_at from ploomes_sync.state), null::timestamptz, 'M6: the completed full pass spends the allowance');
select is((select array_agg(customer_id order by customer_id) from public.customer_sales), '{401,402,403,404,405}'::bigint[],
  'M6: customers 406..410 are gone');
select is((select row(s.cursor, s.last_full_pass_at)::text from ploomes_sync.state s),
  row(pg_temp.pass_start('M6'), pg_temp.pass_start('M6'))::text, 'M6: cursor and last_full_pass_at move to the pass''s start');

-- M7: one allowance, one pass. Seeing only 8001 would delete 4 of 5 (80 %): stopped again.
select pg_temp.pass('M7', 'full', pg_temp.deals(8001, 8001));
select is((select row(r ->> 'status', r ->> 'error')::text from (select pg_temp.res('M7.end') r) x),
  row('failed', 'this full pass would delete 4 of the 5 mirrored deals (80.0%), above SYNC_MAX_DELETE_RATIO = 0.1')::text,
  'M7: the allowance was spent: 4 of 5 (80.0 %) is stopped');
select is(pg_temp.mirror_ids(), '{8001,8002,8003,8004,8005}'::bigint[], 'M7: nothing deleted');
select is((select last_full_pass_at from ploomes_sync.state), pg_temp.pass_start('M6'), 'M7: last_full_pass_at stays at M6');

-- M8: p_max_delete_ratio is the caller's SYNC_MAX_DELETE_RATIO; at exactly the ratio (1 / 5 =
-- 20 %, max 0.2) the pass is not "above" it.
select pg_temp.pass('M8', 'full', pg_temp.deals(8001, 8004), 0.2);
select is((select row(r ->> 'status', r ->> 'dealsDeleted', r -> 'warnings')::text from (select pg_temp.res('M8.end') r) x),
  row('succeeded', '1', '[]'::jsonb)::text, 'M8: deleting 1 of 5 (20 %) with p_max_delete_ratio 0.2 completes without a warning');
select is(pg_temp.mirror_ids(), '{8001,8002,8003,8004}'::bigint[], 'M8: 8005 is swept');

-- =============================================================================================
-- p_max_delete_ratio must be a share: 22023 before anything else (no lease needed to be told).
select throws_ok('select public.sync_finish_pass(0, p_max_delete_ratio => 1.5)', '22023', null, 'a delete ratio above 1 raises 22023');
select throws_ok('select public.sync_finish_pass(0, p_max_delete_ratio => -0.1)', '22023', null, 'a negative delete ratio raises 22023');
select throws_ok('select public.sync_finish_pass(0, p_max_delete_ratio => null)', '22023', null, 'a null delete ratio raises 22023');
select lives_ok('select public.sync_allow_mass_delete()', 'sync_allow_mass_delete needs no lease');
select isnt((select mass_delete_allowed_at from ploomes_sync.state), null::timestamptz,
  'an allowance given between passes waits for the next completed full pass');

select * from finish();
rollback;
