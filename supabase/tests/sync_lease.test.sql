-- The sync lease (docs/operations.md, run status `running`): one run at a time, refused claims are recorded as skipped
-- runs (409), an expired lease is taken over and its holder marked failed, and a run that lost
-- its lease can no longer write (SQLSTATE PT409). Argument validation raises 22023. A run waiting
-- on Ploomes extends its lease with sync_heartbeat (holder only: PT409 otherwise).
begin;
set local search_path = extensions, public;
select plan(69);

-- Clean the state this file relies on (all rolled back at the end).
\i supabase/tests/support/reset_sync_state.sql

-- Results of API calls, by name, so later statements can refer to them.
create temp table t_call (k text primary key, res jsonb not null) on commit drop;
create function pg_temp.res(p_k text) returns jsonb language sql stable
  as $$ select c.res from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.run_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'runId')::bigint from pg_temp.t_call c where c.k = p_k $$;

-- One hand-made deal, as the Edge Function sends it.
create function pg_temp.one_deal(p_id bigint, p_contact bigint) returns jsonb language sql immutable as $$
  select jsonb_build_array(jsonb_build_object(
    'id', p_id, 'contact_id', p_contact, 'contact_name', 'Lease Test ' || p_contact, 
    'contact_type_id', 1, 'contact_cnpj', '11.222.333/0001-81', 'contact_cpf', null, 'status_id', 1, 'amount', 10,
    'create_date', '2024-03-07T12:39:44.957-03:00', 'finish_date', null,
    'last_update_date', '2024-03-07T12:39:44.957-03:00', 'last_update_raw', '2024-03-07T12:39:44.957-03:00',
    'line_items', '[]'::jsonb))
$$;

-- ---------------------------------------------------------------------------------------------
-- 1. A claim on a free lease.
insert into t_call values ('a', public.sync_claim('cron', 'auto', false, 3600));

select is(pg_temp.res('a') ->> 'claimed', 'true', 'first claim: claimed');
select is(pg_temp.res('a') ->> 'mode', 'full', 'first claim: no cursor yet, so a full pass');
select is(pg_temp.res('a') ->> 'resumed', 'false', 'first claim: a new pass');
select is(pg_temp.res('a') ->> 'dryRun', 'false', 'first claim: not a dry run');
select ok(pg_temp.res('a') ? 'passId' and (pg_temp.res('a') ->> 'passId') is not null, 'first claim: names its pass');
select is(
  (select row(r.status, r.trigger, r.requested_mode, r.mode, r.pass_id, r.finished_at is null, r.heartbeat_at is not null)::text
     from ploomes_sync.runs r where r.id = pg_temp.run_id('a')),
  row('running', 'cron', 'auto', 'full', (pg_temp.res('a') ->> 'passId')::bigint, true, true)::text,
  'first claim: its run row is running, with trigger, mode, pass and heartbeat');
select is(
  (select row(p.status, p.mode, p.position)::text from ploomes_sync.passes p where p.id = (pg_temp.res('a') ->> 'passId')::bigint),
  row('in_progress', 'full', null::jsonb)::text,
  'first claim: its pass is in progress with no position');
select is((select s.lease_run_id from ploomes_sync.state s), pg_temp.run_id('a'), 'first claim: the lease names the run');
select is((select s.current_pass_id from ploomes_sync.state s), (pg_temp.res('a') ->> 'passId')::bigint, 'first claim: the pass is current');
select ok((select s.lease_expires_at > now() + interval '59 minutes' from ploomes_sync.state s), 'first claim: lease lasts p_lease_seconds');

-- ---------------------------------------------------------------------------------------------
-- 2. A second claim while the lease is held: refused, and recorded.
insert into t_call values ('b', public.sync_claim('manual', 'full', false, 3600));

select is(pg_temp.res('b') ->> 'claimed', 'false', 'second claim: not claimed');
select is((pg_temp.res('b') ->> 'holderRunId')::bigint, pg_temp.run_id('a'), 'second claim: names the holder');
select isnt(pg_temp.run_id('b'), null, 'second claim: still returns its own run id');
select is(
  (select row(r.status, r.http_status, r.pass_id, r.finished_at is not null, r.trigger, r.requested_mode)::text
     from ploomes_sync.runs r where r.id = pg_temp.run_id('b')),
  row('skipped', 409, null::bigint, true, 'manual', 'full')::text,
  'second claim: a finished skipped run with http_status 409 and no pass');
select matches(
  (select r.error from ploomes_sync.runs r where r.id = pg_temp.run_id('b')),
  '^run ' || pg_temp.run_id('a') || ' holds the sync lease',
  'second claim: the error names the holder run id');
select isnt((select r.error_hint from ploomes_sync.runs r where r.id = pg_temp.run_id('b')), null, 'second claim: with a hint');
select is((select s.lease_run_id from ploomes_sync.state s), pg_temp.run_id('a'), 'second claim: the lease is untouched');
select is((select count(*)::int from ploomes_sync.passes), 1, 'second claim: no pass created or abandoned');

-- A dry run is refused the same way.
insert into t_call values ('b2', public.sync_claim('cli', 'auto', true, 3600));
select is(pg_temp.res('b2') ->> 'claimed', 'false', 'a dry-run claim is refused too while the lease is held');

-- ---------------------------------------------------------------------------------------------
-- 3. The holder heartbeats (ingests a page), then stops: its lease expires and is taken over.
insert into t_call values ('a.page1',
  public.sync_ingest_page(pg_temp.run_id('a'), pg_temp.one_deal(930000001, 940000001), '{"lastId": 930000001}',
                           p_lease_seconds => 3600));
select is(pg_temp.res('a.page1') ->> 'inserted', '1', 'the holder stores a page');

-- Time passes without a heartbeat (simulated: no sleeping).
update ploomes_sync.state set lease_expires_at = '2000-01-01T00:00:00Z', lease_heartbeat_at = '2000-01-01T00:00:00Z';
insert into t_call values ('c', public.sync_claim('continue', 'auto', false, 3600));

select is(pg_temp.res('c') ->> 'claimed', 'true', 'after expiry: the next claim takes over');
select is(pg_temp.res('c') ->> 'resumed', 'true', 'after expiry: it resumes the pass in progress');
select is(pg_temp.res('c') ->> 'passId', pg_temp.res('a') ->> 'passId', 'after expiry: the same pass');
select is(pg_temp.res('c') -> 'position', '{"lastId": 930000001}'::jsonb, 'after expiry: from the position the old holder stored');
select is((select s.lease_run_id from ploomes_sync.state s), pg_temp.run_id('c'), 'after expiry: the lease names the new run');
select is(
  (select row(r.status, r.http_status, r.finished_at is not null)::text from ploomes_sync.runs r where r.id = pg_temp.run_id('a')),
  row('failed', 500, true)::text,
  'after expiry: the old holder is marked failed (500) and finished');
select matches((select r.error from ploomes_sync.runs r where r.id = pg_temp.run_id('a')), 'heartbeat',
  'after expiry: the old holder''s error mentions the heartbeat');
select is((select r.resumed from ploomes_sync.runs r where r.id = pg_temp.run_id('c')), true, 'after expiry: the new run is recorded as resumed');

-- ---------------------------------------------------------------------------------------------
-- 4. The taken-over run can no longer write anything.
select throws_ok(
  format($$select public.sync_ingest_page(%s, pg_temp.one_deal(930000002, 940000002), '{"lastId": 930000002}')$$, pg_temp.run_id('a')),
  'PT409', null, 'taken-over run: sync_ingest_page raises PT409');
select throws_ok(format('select public.sync_finish_pass(%s)', pg_temp.run_id('a')),
  'PT409', null, 'taken-over run: sync_finish_pass raises PT409');
select throws_ok(format('select public.sync_end_partial(%s)', pg_temp.run_id('a')),
  'PT409', null, 'taken-over run: sync_end_partial raises PT409');
select throws_ok(format($$select public.sync_disable_products(%s, 'x')$$, pg_temp.run_id('a')),
  'PT409', null, 'taken-over run: sync_disable_products raises PT409');
select is((select count(*)::int from ploomes_sync.deals where deal_id = 930000002), 0, 'taken-over run: its page was not stored');
select is(
  (select row(p.position, p.pages)::text from ploomes_sync.passes p where p.id = (pg_temp.res('a') ->> 'passId')::bigint),
  row('{"lastId": 930000001}'::jsonb, 1)::text,
  'taken-over run: the pass position did not move');

-- Reporting its failure afterwards must not release the new holder's lease.
select lives_ok(format($$select public.sync_fail_run(%s, 'late failure report', null, 500)$$, pg_temp.run_id('a')),
  'taken-over run: sync_fail_run still answers');
select is((select s.lease_run_id from ploomes_sync.state s), pg_temp.run_id('c'), 'taken-over run: sync_fail_run left the new lease alone');
select is((select r.status from ploomes_sync.runs r where r.id = pg_temp.run_id('c')), 'running', 'the new holder is still running');

-- ---------------------------------------------------------------------------------------------
-- 5. The new holder works; each page extends its lease (heartbeat).
update ploomes_sync.state set lease_expires_at = '2000-01-01T00:00:00Z', lease_heartbeat_at = '2000-01-01T00:00:00Z';
select lives_ok(
  format($$select public.sync_ingest_page(%s, pg_temp.one_deal(930000003, 940000003), '{"lastId": 930000003}',
                                         p_client => '{"requests": 7}', p_lease_seconds => 600)$$,
         pg_temp.run_id('c')),
  'the new holder can ingest');
select ok((select s.lease_expires_at > now() + interval '9 minutes' from ploomes_sync.state s), 'a page extends the lease by p_lease_seconds');
select ok((select s.lease_heartbeat_at > now() - interval '1 minute' from ploomes_sync.state s), 'a page records the heartbeat');
select is((select r.requests from ploomes_sync.runs r where r.id = pg_temp.run_id('c')), 7, 'a page records the client counters');

-- Ending the run releases the lease; a later call by that run is refused.
insert into t_call values ('c.partial', public.sync_end_partial(pg_temp.run_id('c')));
select is(pg_temp.res('c.partial') ->> 'status', 'partial', 'sync_end_partial: the run is partial');
select is(
  (select row(s.lease_run_id, s.lease_expires_at)::text from ploomes_sync.state s),
  row(null::bigint, null::timestamptz)::text, 'sync_end_partial: the lease is released');
select throws_ok(
  format($$select public.sync_ingest_page(%s, pg_temp.one_deal(930000004, 940000004), '{"lastId": 930000004}')$$, pg_temp.run_id('c')),
  'PT409', null, 'a run that released its lease cannot ingest any more');

-- A free lease is claimed without marking anybody failed.
insert into t_call values ('d', public.sync_claim('continue', 'auto', false, 3600));
select is(pg_temp.res('d') ->> 'claimed', 'true', 'a released lease is claimed again');
select is((select r.status from ploomes_sync.runs r where r.id = pg_temp.run_id('c')), 'partial', 'claiming a released lease leaves the previous run partial');

-- ---------------------------------------------------------------------------------------------
-- 6. Invalid arguments: 22023, and no run recorded.
select throws_ok($$select public.sync_claim('pager')$$, '22023', null, 'invalid trigger raises 22023');
select throws_ok($$select public.sync_claim(null)$$, '22023', null, 'null trigger raises 22023');
select throws_ok($$select public.sync_claim('manual', 'sometimes')$$, '22023', null, 'invalid mode raises 22023');
select throws_ok($$select public.sync_claim('manual', 'auto', false, 0)$$, '22023', null, 'non-positive lease raises 22023');
select throws_ok($$select public.sync_claim('manual', 'auto', false, 60, 168, -1)$$, '22023', null, 'negative overlap raises 22023');
select throws_ok(format($$select public.sync_ingest_page(%s, '{"id": 1}', '{}')$$, pg_temp.run_id('d')),
  '22023', null, 'sync_ingest_page with a non-array page raises 22023');
select is((select count(*)::int from ploomes_sync.runs), 5, 'the invalid calls recorded no run (only a, b, b2, c and d exist)');
select is((select s.lease_run_id from ploomes_sync.state s), pg_temp.run_id('d'), 'the invalid calls left the lease alone');

-- ---------------------------------------------------------------------------------------------
-- 7. sync_heartbeat: a run waiting on Ploomes keeps its lease without storing a page.
-- Time passes (simulated) until d's lease is about to lapse.
update ploomes_sync.state set lease_expires_at = now() + interval '1 second', lease_heartbeat_at = '2000-01-01T00:00:00Z';
update ploomes_sync.runs set heartbeat_at = '2000-01-01T00:00:00Z' where id = pg_temp.run_id('d');
insert into t_call values ('d.hb', public.sync_heartbeat(pg_temp.run_id('d'), 600, '{"requests": 4, "retries": 1, "throttledWaits": 2}'));

-- Both stamps come from one clock reading, so the lease is exactly p_lease_seconds past the heartbeat.
select is((select s.lease_expires_at - s.lease_heartbeat_at from ploomes_sync.state s), interval '600 seconds',
  'heartbeat: the lease now ends p_lease_seconds (600 s) after the heartbeat');
select ok((select s.lease_heartbeat_at >= now() from ploomes_sync.state s), 'heartbeat: recorded at the call (not the old 2000-01-01 stamp)');
select is((pg_temp.res('d.hb') ->> 'leaseExpiresAt')::timestamptz, (select s.lease_expires_at from ploomes_sync.state s),
  'heartbeat: returns the new expiry');
select is((select s.lease_run_id from ploomes_sync.state s), pg_temp.run_id('d'), 'heartbeat: the lease still names the run');
select is(
  (select row(r.status, r.requests, r.retries, r.throttled_waits, r.heartbeat_at >= now())::text from ploomes_sync.runs r where r.id = pg_temp.run_id('d')),
  row('running', 4, 1, 2, true)::text, 'heartbeat: the run stays running, with the client counters and its heartbeat_at');

insert into t_call values ('d.hb2', public.sync_heartbeat(pg_temp.run_id('d')));
select is((select s.lease_expires_at - s.lease_heartbeat_at from ploomes_sync.state s), interval '60 seconds',
  'heartbeat: p_lease_seconds defaults to 60');
select is((select r.requests from ploomes_sync.runs r where r.id = pg_temp.run_id('d')), 4,
  'heartbeat: without client stats the counters are kept');

-- A live, heartbeating run is not taken over.
insert into t_call values ('e', public.sync_claim('cron', 'auto', false, 3600));
select is(pg_temp.res('e') ->> 'claimed', 'false', 'heartbeat: a claim during the extended lease is refused');

-- Only the holder may heartbeat: PT409, and the lease is untouched.
create temp table t_lease on commit drop as select s.lease_run_id, s.lease_expires_at, s.lease_heartbeat_at from ploomes_sync.state s;
select throws_ok(format('select public.sync_heartbeat(%s, 600)', pg_temp.run_id('c')), 'PT409', null,
  'heartbeat: a run that released its lease gets PT409');
select throws_ok(format('select public.sync_heartbeat(%s, 600)', pg_temp.run_id('a')), 'PT409', null,
  'heartbeat: a taken-over run gets PT409');
select throws_ok(format('select public.sync_heartbeat(%s)', pg_temp.run_id('e')), 'PT409', null,
  'heartbeat: a skipped run (never held the lease) gets PT409');
-- A non-positive lease is an argument error, whoever calls.
select throws_ok(format('select public.sync_heartbeat(%s, 0)', pg_temp.run_id('d')), '22023', null, 'heartbeat: lease 0 raises 22023');
select throws_ok(format('select public.sync_heartbeat(%s, -30)', pg_temp.run_id('d')), '22023', null, 'heartbeat: a negative lease raises 22023');
select throws_ok(format('select public.sync_heartbeat(%s, null)', pg_temp.run_id('d')), '22023', null, 'heartbeat: a null lease raises 22023');
select is((select row(s.lease_run_id, s.lease_expires_at, s.lease_heartbeat_at)::text from ploomes_sync.state s),
  (select row(l.lease_run_id, l.lease_expires_at, l.lease_heartbeat_at)::text from t_lease l),
  'heartbeat: the refused calls left the lease as it was');

select * from finish();
rollback;
