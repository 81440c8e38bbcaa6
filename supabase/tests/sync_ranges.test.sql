-- Full passes in Id ranges and finishing in slices (20261201000700, 20261201000800):
--   * a full-pass page for Ids in (a, b] stages the mirrored deals of (a, b] it did not carry as
--     gone; each range's tail is staged when the pass finishes; nothing is deleted before that;
--   * pages of different ranges arrive in any order, each range moving on its own;
--   * a span that moves back, or a range whose bounds changed, is refused; ranges that leave a
--     gap fail the finish;
--   * sync_finish_pass answers `running` until published; a finishing pass is resumed whatever
--     mode is asked for, and its figures add up across runs;
--   * the page path reads the mirror by index only, and an unchanged page writes no mirror row.
-- Deal 90nn belongs to customer 4nn (9001 -> 401).
begin;
set local search_path = extensions, public;
select plan(28);

\i supabase/tests/support/reset_sync_state.sql

create temp table t_call (k text primary key, res jsonb not null) on commit drop;
create function pg_temp.res(p_k text) returns jsonb language sql stable
  as $$ select c.res from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.run_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'runId')::bigint from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.pass_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'passId')::bigint from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.deal(p_id bigint, p_amount numeric default 10) returns jsonb language sql immutable as $$
  select jsonb_build_object(
    'id', p_id, 'contact_id', p_id - 8600, 'contact_name', 'Cliente ' || (p_id - 8600), 
    'contact_type_id', 1, 'contact_cnpj', null, 'contact_cpf', null, 'status_id', 2, 'amount', p_amount,
    'create_date', '2024-01-01T10:00:00-03:00', 'finish_date', '2024-01-01T10:00:00-03:00',
    'last_update_date', '2024-01-01T10:00:00-03:00', 'last_update_raw', '2024-01-01T10:00:00-03:00',
    'line_items', '[]'::jsonb)
$$;
create function pg_temp.deals(p_ids bigint[]) returns jsonb language sql immutable
  as $$ select coalesce(jsonb_agg(pg_temp.deal(i) order by i), '[]') from unnest(p_ids) i $$;
-- Two ranges: (-∞, 9010] and (9010, +∞), each at `after`.
create function pg_temp.ranges(p_after0 bigint, p_after1 bigint, p_done0 boolean default false) returns jsonb language sql immutable as $$
  select jsonb_build_object('ranges', jsonb_build_array(
    jsonb_build_object('from', null, 'to', 9010, 'after', p_after0, 'done', p_done0),
    jsonb_build_object('from', 9010, 'to', null, 'after', p_after1, 'done', false)))
$$;
create function pg_temp.page(p_k text, p_run text, p_ids bigint[], p_position jsonb, p_range integer) returns void
language sql as $$
  insert into pg_temp.t_call values (p_k, public.sync_ingest_page(pg_temp.run_id(p_run), pg_temp.deals(p_ids), p_position,
    p_lease_seconds => 3600, p_range => p_range))
$$;
create function pg_temp.gone(p_run text) returns bigint[] language sql stable
  as $$ select coalesce(array_agg(g.deal_id order by g.deal_id), '{}') from ploomes_sync.pass_gone g where g.pass_id = pg_temp.pass_id(p_run) $$;
-- Calls sync_finish_pass until it stops answering `running`, at most p_max times; returns the calls made.
create function pg_temp.finish(p_run text, p_max integer) returns integer language plpgsql as $$
declare
  v_calls integer := 0;
  v_res jsonb;
begin
  loop
    v_res := public.sync_finish_pass(pg_temp.run_id(p_run), p_max_delete_ratio => 0.5);
    v_calls := v_calls + 1;
    exit when v_res ->> 'status' <> 'running' or v_calls >= p_max;
  end loop;
  insert into pg_temp.t_call values (p_run || '.end', v_res) on conflict (k) do update set res = excluded.res;
  return v_calls;
end $$;

-- =============================================================================================
-- F1: the first full pass, two ranges; range 1's first page lands before range 0's.
insert into t_call values ('F1', public.sync_claim('manual', 'full', false, 3600, 168, 300, 'https://r.example'));
select pg_temp.page('F1.a', 'F1', array[9011, 9012, 9013, 9014, 9015], pg_temp.ranges(null, 9015), 1);
select pg_temp.page('F1.b', 'F1', array[9001, 9002, 9003, 9004, 9005, 9006, 9007, 9008, 9009, 9010], pg_temp.ranges(9010, 9015), 0);
select pg_temp.page('F1.c', 'F1', array[9016, 9017, 9018, 9019, 9020], pg_temp.ranges(9010, 9020, true), 1);
select is((select p.position from ploomes_sync.passes p where p.id = pg_temp.pass_id('F1')), pg_temp.ranges(9010, 9020, true),
  'F1: the pass position holds every range where it stood');
select is(pg_temp.finish('F1', 10) > 0, true, 'F1: the finish ends');
select is(pg_temp.res('F1.end') ->> 'status', 'succeeded', 'F1: the first full pass succeeds');
select is((select count(*)::int from ploomes_sync.deals), 20, 'F1: 20 deals mirrored');
select is((select count(*)::int from public.customer_sales), 20, 'F1: 20 customers');

-- =============================================================================================
-- F2: Ploomes no longer has 9003 (inside range 0's page span), 9012 (inside range 1's first
-- span), 9019 and 9020 (between range 1's pages); 9021 was created during the pass (range 1 is
-- open-ended); 9005 changed. A gap left by a range's tail is staged at the finish.
insert into t_call values ('F2', public.sync_claim('manual', 'full', false, 3600, 168, 300, 'https://r.example'));
select pg_temp.page('F2.a', 'F2', array[9011, 9013, 9014], pg_temp.ranges(null, 9014), 1);
select is(pg_temp.gone('F2'), '{9012}'::bigint[], 'F2: a page stages only the missing deals of its own span (9010, 9014]');
insert into t_call values ('F2.b', public.sync_ingest_page(pg_temp.run_id('F2'),
  pg_temp.deals(array[9001, 9002, 9004, 9006, 9007, 9008]) || jsonb_build_array(pg_temp.deal(9005, 99)),
  pg_temp.ranges(9008, 9014), p_lease_seconds => 3600, p_range => 0));
select is(pg_temp.gone('F2'), '{9003,9012}'::bigint[], 'F2: range 0''s first page stages 9003 from (-∞, 9008]');
select pg_temp.page('F2.c', 'F2', array[9015, 9016, 9017, 9018], pg_temp.ranges(9008, 9018), 1);
select pg_temp.page('F2.d', 'F2', array[9021], pg_temp.ranges(9008, 9021), 1);
select is(pg_temp.gone('F2'), '{9003,9012,9019,9020}'::bigint[], 'F2: the span (9018, 9021] stages 9019 and 9020');
select is((select count(*)::int from ploomes_sync.deals), 21, 'F2: nothing is deleted before the pass finishes');

select throws_ok(
  $$select public.sync_ingest_page(pg_temp.run_id('F2'), pg_temp.deals(array[9015]), pg_temp.ranges(9008, 9015), p_range => 1)$$,
  '22023', null, 'F2: a span that moves a range back is refused');
select throws_ok(
  $$select public.sync_ingest_page(pg_temp.run_id('F2'), pg_temp.deals(array[9009]),
      '{"ranges": [{"from": null, "to": 9009, "after": 9009}, {"from": 9009, "to": null, "after": 9021}]}', p_range => 0)$$,
  '22023', null, 'F2: a page whose range bounds differ from the stored ones is refused');

-- Range 0's tail (9008, 9010] had 9009 and 9010 in the mirror: both are gone. The finish runs in
-- slices of one small chunk, so it takes several calls; the run stops partial after the first.
create or replace function ploomes_sync.finish_slice() returns interval language sql immutable set search_path = '' as $$ select interval '0' $$;
create or replace function ploomes_sync.sweep_chunk() returns integer language sql immutable set search_path = '' as $$ select 2 $$;
create or replace function ploomes_sync.recompute_chunk() returns integer language sql immutable set search_path = '' as $$ select 2 $$;
create or replace function ploomes_sync.refresh_chunk() returns integer language sql immutable set search_path = '' as $$ select 5 $$;
select is(pg_temp.finish('F2', 1), 1, 'F2: one finish call');
select is((pg_temp.res('F2.end') ->> 'status') || '/' || (pg_temp.res('F2.end') ->> 'finishing'), 'running/sweep',
  'F2: it answers running, sweeping');
select is(pg_temp.gone('F2'), '{9010,9012,9019,9020}'::bigint[],
  'F2: the tails were staged (9009, 9010) and the first chunk of 2 deleted (9003, 9009)');
select is((select count(*)::int from ploomes_sync.deals where deal_id in (9003, 9009)), 0, 'F2: 9003 and 9009 are deleted');
select lives_ok($$select public.sync_end_partial(pg_temp.run_id('F2'))$$, 'F2: the run ends partial mid-finish');

-- F3: an incremental request resumes the finishing pass, which finishes in several calls.
insert into t_call values ('F3', public.sync_claim('manual', 'incremental', false, 3600, 168, 300, 'https://r.example'));
select is(jsonb_build_object('pass', pg_temp.pass_id('F3'), 'finishing', pg_temp.res('F3') -> 'finishing', 'mode', pg_temp.res('F3') -> 'mode'),
          jsonb_build_object('pass', pg_temp.pass_id('F2'), 'finishing', true, 'mode', 'full'),
  'F3: a finishing pass is resumed whatever mode is asked for, and says so');
select cmp_ok(pg_temp.finish('F3', 50), '>', 3, 'F3: the rest of the finish takes several calls');
select is(pg_temp.res('F3.end') ->> 'status', 'succeeded', 'F3: and succeeds');
select is((select array_agg(d.deal_id order by d.deal_id) from ploomes_sync.deals d),
  '{9001,9002,9004,9005,9006,9007,9008,9011,9013,9014,9015,9016,9017,9018,9021}'::bigint[],
  'F3: the mirror holds exactly the deals the pass saw');
select is(((select r.deals_deleted from ploomes_sync.runs r where r.id = pg_temp.run_id('F2'))
          + (select r.deals_deleted from ploomes_sync.runs r where r.id = pg_temp.run_id('F3'))), 6,
  'F3: the two runs deleted 6 deals between them');
select is((select array_agg(c.customer_id order by c.customer_id) from public.customer_sales c),
  '{401,402,404,405,406,407,408,411,413,414,415,416,417,418,421}'::bigint[],
  'F3: customers follow the mirror (gone ones deleted, the new one added)');
select is((select count(distinct c.last_sync_at)::int from public.customer_sales c
            where c.last_sync_at = (select p.finish_at from ploomes_sync.passes p where p.id = pg_temp.pass_id('F2'))), 1,
  'F3: every row carries the same last_sync_at: when the finish began');
select is((select count(*)::int from public.customer_sales c
            where c.last_sync_at is distinct from (select p.finish_at from ploomes_sync.passes p where p.id = pg_temp.pass_id('F2'))), 0,
  'F3: ... on every row');

-- =============================================================================================
-- F4: ranges with a gap between them fail the finish instead of sweeping around it.
insert into t_call values ('F4', public.sync_claim('manual', 'full', false, 3600, 168, 300, 'https://r.example'));
select pg_temp.page('F4.a', 'F4', array[9001],
  '{"ranges": [{"from": null, "to": 9005, "after": 9001}, {"from": 9006, "to": null, "after": null}]}', 0);
select throws_ok($$select public.sync_finish_pass(pg_temp.run_id('F4'))$$, '22023', null,
  'F4: ranges that leave a gap fail the finish');

-- =============================================================================================
-- The page path on a larger mirror: index reads only, and an unchanged page writes no mirror row.
insert into ploomes_sync.deals (deal_id, contact_id, status_id, last_update_date, last_update_raw, seen_pass_id)
select i, 1, 1, '2024-01-01T13:00:00Z', '2024-01-01T10:00:00-03:00', 0 from generate_series(100000, 120000) i;
update ploomes_sync.deals set contact_id = deal_id - 8600, contact_name = 'Cliente ' || (deal_id - 8600), contact_type_id = 1,
       status_id = 2, amount = 10, create_date = '2024-01-01T13:00:00Z', finish_date = '2024-01-01T13:00:00Z',
       line_items = '[]' where deal_id between 100000 and 100300;
analyze ploomes_sync.deals;
-- F4's run gave up: its pass and lease are dropped, so F5 starts a new full pass.
update ploomes_sync.passes set status = 'abandoned' where id = pg_temp.pass_id('F4');
update ploomes_sync.state set current_pass_id = null, lease_run_id = null, lease_expires_at = null;
insert into t_call values ('F5', public.sync_claim('manual', 'full', false, 3600, 168, 300, 'https://r.example'));
create temp table t_scan on commit drop as
  select s.seq_scan, s.n_tup_upd from pg_stat_xact_user_tables s where s.relid = 'ploomes_sync.deals'::regclass;
-- A page in the middle of a large account: 300 deals of the range (99999, +∞), all unchanged.
insert into t_call values ('F5.a', public.sync_ingest_page(pg_temp.run_id('F5'),
  (select jsonb_agg(pg_temp.deal(i) order by i) from generate_series(100000, 100299) i),
  '{"ranges": [{"from": 99999, "to": null, "after": 100299}]}', p_lease_seconds => 3600, p_range => 0));
select is(pg_temp.res('F5.a') ->> 'unchanged', '300', 'F5: the page is stored, every deal unchanged');
select is((select s.seq_scan - t.seq_scan from pg_stat_xact_user_tables s, t_scan t where s.relid = 'ploomes_sync.deals'::regclass), 0::bigint,
  'no statement of a full-pass page scans the mirror');
select is((select s.n_tup_upd - t.n_tup_upd from pg_stat_xact_user_tables s, t_scan t where s.relid = 'ploomes_sync.deals'::regclass), 0::bigint,
  'a page of unchanged deals writes no mirror row');

select * from finish();
rollback;
