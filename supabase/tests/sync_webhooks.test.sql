-- The webhook queue (20261201001500, docs/operations.md "Webhooks"): 'webhook' is a trigger of
-- runs and of sync_claim; webhook_enqueue keeps one row per deal and wakes the sync through pg_net
-- when the queue was empty; wake_webhook_drain refuses when it would be pointless;
-- continue_partial_pass drains the queue when no pass waits; the run checks announced deletions
-- (sync_webhook_deletions, sync_webhook_confirm, holder only); a completed pass clears the events it
-- served; sync_health shows the queue; nothing of it is reachable by anon or authenticated.
-- Every request is queued in this transaction and rolled back with it, so nothing is ever sent.
begin;
set local search_path = extensions, public;
select plan(104);

\i supabase/tests/support/reset_sync_state.sql
-- Requests to the sync function committed by others (the schedule) would stop every wake-up here.
delete from net.http_request_queue where url like '%/functions/v1/sync-customer-sales%';

-- Vault values of this test (through Vault's API; the old rows are deleted by name first).
delete from vault.secrets where name in ('project_url', 'cron_secret');
do $$ begin
  perform vault.create_secret('https://webhooktest.supabase.co/', 'project_url');
  perform vault.create_secret('test-cron-secret-webhooks', 'cron_secret');
end $$;

-- Results of calls, by name.
create temp table t_call (k text primary key, res jsonb) on commit drop;
create function pg_temp.res(p_k text) returns jsonb language sql stable
  as $$ select c.res from pg_temp.t_call c where c.k = p_k $$;
-- The requests to the sync function waiting in pg_net's queue.
create function pg_temp.fn_requests() returns integer language sql stable as $$
  select count(*)::integer from net.http_request_queue q where q.url like '%/functions/v1/sync-customer-sales%'
$$;
create function pg_temp.last_fn_request() returns bigint language sql stable as $$
  select max(q.id) from net.http_request_queue q where q.url like '%/functions/v1/sync-customer-sales%'
$$;
create function pg_temp.body(p_id bigint) returns jsonb language sql stable as $$
  select convert_from(q.body, 'UTF8')::jsonb from net.http_request_queue q where q.id = p_id
$$;
create function pg_temp.clear_requests() returns void language sql as $$
  delete from net.http_request_queue q where q.url like '%/functions/v1/sync-customer-sales%'
$$;
-- SQLSTATE | message | hint of a statement that should fail.
create function pg_temp.error_of(p_sql text) returns text language plpgsql as $$
declare
  v_state text; v_msg text; v_hint text;
begin
  execute p_sql;
  return 'no error';
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text, v_hint = pg_exception_hint;
  return v_state || ' | ' || v_msg || ' | ' || coalesce(v_hint, '');
end
$$;
-- A run as the Edge Function leaves it, finished p_ago ago.
create function pg_temp.run(p_status text, p_ago interval, p_pass bigint default null) returns bigint
language sql as $$
  insert into ploomes_sync.runs (trigger, requested_mode, mode, status, started_at, finished_at, pass_id)
  values ('cron', 'auto', 'incremental', p_status, now() - p_ago - interval '1 minute',
          case when p_status = 'running' then null else now() - p_ago end, p_pass)
  returning id
$$;
-- A queued event, received p_first_ago ago and again p_last_ago ago.
create function pg_temp.event(p_deal bigint, p_action text, p_first_ago interval, p_last_ago interval default null)
returns void language sql as $$
  insert into ploomes_sync.webhook_events (deal_id, action, check_absence, first_received_at, last_received_at)
  values (p_deal, p_action, p_action = 'delete', now() - p_first_ago, now() - coalesce(p_last_ago, p_first_ago))
$$;
create function pg_temp.queue() returns text[] language sql stable as $$
  select coalesce(array_agg(w.deal_id || ' ' || w.action || ' ' || w.check_absence order by w.deal_id), '{}')
    from ploomes_sync.webhook_events w
$$;
-- A mirror row of a deal, seen by p_pass.
create function pg_temp.deal(p_deal bigint, p_contact bigint, p_pass bigint) returns void language sql as $$
  insert into ploomes_sync.deals (deal_id, contact_id, contact_name, status_id, amount, last_update_date, last_update_raw, line_items, seen_pass_id)
  values (p_deal, p_contact, 'Webhook Test ' || p_contact, 1, 10, '2024-03-07T12:39:44.957-03:00',
          '2024-03-07T12:39:44.957-03:00', '[]', p_pass)
$$;

-------------------------------------------------------------------------------------------------
-- 1. The trigger list: the runs table's check and sync_claim read it.
select is(ploomes_sync.sync_triggers(), array['cron', 'continue', 'manual', 'cli', 'webhook'], 'sync_triggers lists the five triggers');
select lives_ok($$insert into ploomes_sync.runs (trigger, requested_mode, status) values ('webhook', 'auto', 'succeeded')$$,
  'a run with trigger webhook is accepted');
select throws_ok($$insert into ploomes_sync.runs (trigger, requested_mode, status) values ('pager', 'auto', 'succeeded')$$,
  '23514', null, 'a run with trigger pager is refused by the check');
insert into t_call values ('claim', public.sync_claim('webhook', 'auto', false, 3600));
select is(pg_temp.res('claim') ->> 'claimed', 'true', 'sync_claim(''webhook'') claims the lease');
select is((select r.trigger || ' ' || r.status from ploomes_sync.runs r where r.id = (pg_temp.res('claim') ->> 'runId')::bigint),
  'webhook running', 'its run is recorded with trigger webhook, running');
select is(pg_temp.error_of($$select public.sync_claim('pager')$$),
  '22023 | invalid trigger pager | use one of cron, continue, manual, cli, webhook',
  'sync_claim(''pager'') raises 22023 with a hint listing the triggers');
select is((select count(*)::int from ploomes_sync.runs), 2, 'the refused claim recorded no run');

-------------------------------------------------------------------------------------------------
-- 2. webhook_enqueue.
\i supabase/tests/support/reset_sync_state.sql
insert into t_call values ('e1', public.webhook_enqueue(101, 'update'));
select is(pg_temp.res('e1'), '{"queued": true, "woke": true}'::jsonb, 'first event into an empty queue: queued and woke');
select is((select array_agg(w.deal_id || ' ' || w.action || ' ' || w.check_absence || ' ' || w.deliveries) from ploomes_sync.webhook_events w),
  array['101 update false 1'], 'one row: action update, check_absence false, deliveries 1');
select is((select w.first_received_at || ' ' || w.last_received_at from ploomes_sync.webhook_events w where w.deal_id = 101),
  now() || ' ' || now(), 'first and last received now');
select is(pg_temp.fn_requests(), 1, 'exactly one request to the sync function queued');
select is((select q.method::text || ' ' || q.url from net.http_request_queue q where q.id = pg_temp.last_fn_request()),
  'POST https://webhooktest.supabase.co/functions/v1/sync-customer-sales', 'POSTed to <project_url>/functions/v1/sync-customer-sales');
select is(pg_temp.body(pg_temp.last_fn_request()), '{"trigger": "webhook", "mode": "auto"}'::jsonb, 'its body: trigger webhook, mode auto');
select is((select q.headers ->> 'x-cron-secret' from net.http_request_queue q where q.id = pg_temp.last_fn_request()),
  'test-cron-secret-webhooks', 'with the cron secret from Vault');
select is((select array_agg(r.request_id || ' ' || r.trigger || ' ' || r.mode) from ploomes_sync.sync_requests r),
  array[pg_temp.last_fn_request() || ' webhook auto'], 'recorded in sync_requests with trigger webhook');

-- The same deal again (its first event 10 minutes ago).
update ploomes_sync.webhook_events set first_received_at = now() - interval '10 minutes', last_received_at = now() - interval '10 minutes';
insert into t_call values ('e2', public.webhook_enqueue(101, 'update'));
select is(pg_temp.res('e2'), '{"queued": true, "woke": false}'::jsonb, 'a second event for the same deal: queued, no wake-up');
select is((select array_agg(w.deal_id || ' ' || w.action || ' ' || w.check_absence || ' ' || w.deliveries) from ploomes_sync.webhook_events w),
  array['101 update false 2'], 'still one row, deliveries 2');
select is((select w.first_received_at from ploomes_sync.webhook_events w where w.deal_id = 101), now() - interval '10 minutes',
  'first_received_at is kept');
select is((select w.last_received_at from ploomes_sync.webhook_events w where w.deal_id = 101), now(), 'last_received_at is the new event''s');
select ok((select w.last_received_at >= w.first_received_at from ploomes_sync.webhook_events w where w.deal_id = 101),
  'last_received_at is not before first_received_at');
select is(pg_temp.fn_requests(), 1, 'no second request');

-- Another deal while the queue is not empty (the first request already gone from pg_net's queue).
select pg_temp.clear_requests();
insert into t_call values ('e3', public.webhook_enqueue(102, 'create'));
select is(pg_temp.res('e3'), '{"queued": true, "woke": false}'::jsonb, 'an event for another deal into a non-empty queue: no wake-up');
select is(pg_temp.fn_requests(), 0, 'and no request');
select is(pg_temp.queue(), array['101 update false', '102 create false'], 'two rows queued');

-- A delete, then an update, for one deal: the deletion is still to be checked.
insert into t_call values ('e4', public.webhook_enqueue(103, 'delete'));
select is((select w.action || ' ' || w.check_absence || ' ' || w.deliveries from ploomes_sync.webhook_events w where w.deal_id = 103),
  'delete true 1', 'a delete: action delete, check_absence true');
insert into t_call values ('e5', public.webhook_enqueue(103, 'update'));
select is((select w.action || ' ' || w.check_absence || ' ' || w.deliveries from ploomes_sync.webhook_events w where w.deal_id = 103),
  'update true 2', 'then an update: action update, check_absence stays true');

-- Invalid arguments: 22023, nothing stored.
select throws_ok($$select public.webhook_enqueue(0, 'update')$$, '22023', 'invalid deal id 0', 'deal id 0 raises 22023');
select throws_ok($$select public.webhook_enqueue(-5, 'update')$$, '22023', 'invalid deal id -5', 'a negative deal id raises 22023');
select throws_ok($$select public.webhook_enqueue(null, 'update')$$, '22023', 'invalid deal id null', 'a null deal id raises 22023');
select throws_ok($$select public.webhook_enqueue(104, 'upsert')$$, '22023', 'invalid action upsert', 'action upsert raises 22023');
select throws_ok($$select public.webhook_enqueue(104, null)$$, '22023', 'invalid action null', 'a null action raises 22023');
select is(pg_temp.queue(), array['101 update false', '102 create false', '103 update true'], 'the invalid calls stored nothing');
select is(pg_temp.fn_requests(), 0, 'and queued no request');

-------------------------------------------------------------------------------------------------
-- 3. wake_webhook_drain.
delete from ploomes_sync.webhook_events;
select is(ploomes_sync.wake_webhook_drain(), null, 'an empty queue: no request');
select pg_temp.event(201, 'update', '1 minute');

-- A run holds a live lease.
select pg_temp.run('running', '0 minutes') as lease_run_id \gset
update ploomes_sync.state set lease_run_id = :lease_run_id, lease_expires_at = now() + interval '1 minute', lease_heartbeat_at = now();
select is(ploomes_sync.wake_webhook_drain(), null, 'a live lease: no request');
select is(pg_temp.fn_requests(), 0, 'nothing queued while the lease is live');
update ploomes_sync.state set lease_expires_at = now() - interval '1 second';
select isnt(ploomes_sync.wake_webhook_drain(), null, 'an expired lease does not hold the wake-up');
select is(pg_temp.fn_requests(), 1, 'one request queued');
select is(ploomes_sync.wake_webhook_drain(), null, 'a request to the function already waiting in pg_net: no request');
select is(pg_temp.fn_requests(), 1, 'still one request');
select pg_temp.clear_requests();
update ploomes_sync.state set lease_run_id = null, lease_expires_at = null, lease_heartbeat_at = null;

-- The latest finished run failed.
update ploomes_sync.runs set status = 'failed', finished_at = now() - interval '5 minutes' where id = :lease_run_id;
select is(ploomes_sync.wake_webhook_drain(), null, 'the latest finished run failed 5 minutes ago: no request');
select is(pg_temp.fn_requests(), 0, 'nothing queued after a recent failure');
update ploomes_sync.runs set finished_at = now() - interval '20 minutes' where id = :lease_run_id;
select ploomes_sync.wake_webhook_drain() as wake_id \gset
select is(pg_temp.body(:wake_id), '{"trigger": "webhook", "mode": "auto"}'::jsonb,
  'the latest finished run failed 20 minutes ago: a webhook request');
select pg_temp.clear_requests();
update ploomes_sync.runs set finished_at = now() - interval '5 minutes' where id = :lease_run_id;
select pg_temp.run('succeeded', '2 minutes') is not null as ok \gset
select isnt(ploomes_sync.wake_webhook_drain(), null, 'a failure 5 minutes ago followed by a success: a request');
select pg_temp.clear_requests();

-- Vault lacks project_url.
delete from vault.secrets where name = 'project_url';
select lives_ok($$select ploomes_sync.wake_webhook_drain()$$, 'without project_url in Vault: no exception');
select is(ploomes_sync.wake_webhook_drain(), null, 'without project_url in Vault: no request');
delete from ploomes_sync.webhook_events;
insert into t_call values ('e6', public.webhook_enqueue(202, 'create'));
select is(pg_temp.res('e6'), '{"queued": true, "woke": false}'::jsonb, 'without project_url, the first event is queued without a wake-up');
select is(pg_temp.queue(), array['202 create false'], 'and stored');
select is(pg_temp.fn_requests(), 0, 'nothing queued without project_url');
do $$ begin perform vault.create_secret('https://webhooktest.supabase.co/', 'project_url'); end $$;

-------------------------------------------------------------------------------------------------
-- 4. continue_partial_pass.
\i supabase/tests/support/reset_sync_state.sql
select is(ploomes_sync.continue_partial_pass(), null, 'no current pass, empty queue: no request');
select pg_temp.event(301, 'update', '2 minutes');
select ploomes_sync.continue_partial_pass() as cont_id \gset
select is(pg_temp.body(:cont_id), '{"trigger": "webhook", "mode": "auto"}'::jsonb,
  'no current pass, a non-empty queue: a webhook request');
select is((select r.trigger from ploomes_sync.sync_requests r where r.request_id = :cont_id), 'webhook', 'recorded as webhook');
select pg_temp.clear_requests();

-- A partial pass, no live lease: continued as before (queue empty or not).
delete from ploomes_sync.webhook_events;
insert into ploomes_sync.passes (mode) values ('full') returning id as pass_id \gset
update ploomes_sync.state set current_pass_id = :pass_id;
select pg_temp.run('partial', '1 minute', :pass_id) as partial_run_id \gset
select ploomes_sync.continue_partial_pass() as cont_id \gset
select is(pg_temp.body(:cont_id), '{"trigger": "continue", "mode": "auto"}'::jsonb, 'a partial pass: a continue request as before');
select is((select r.trigger from ploomes_sync.sync_requests r where r.request_id = :cont_id), 'continue', 'recorded as continue');
select is(ploomes_sync.continue_partial_pass(), null, 'a partial pass with a request already waiting: no second request');
select pg_temp.clear_requests();
select pg_temp.run('running', '0 minutes', :pass_id) as live_run_id \gset
update ploomes_sync.state set lease_run_id = :live_run_id, lease_expires_at = now() + interval '1 minute';
select pg_temp.event(302, 'update', '2 minutes');
select is(ploomes_sync.continue_partial_pass(), null, 'a live lease: no request, even with a non-empty queue');
select is(pg_temp.fn_requests(), 0, 'nothing queued under a live lease');

-- The current pass's last run failed: the queue is drained (through wake_webhook_drain's checks).
update ploomes_sync.state set lease_run_id = null, lease_expires_at = null;
update ploomes_sync.runs set status = 'failed', finished_at = now() - interval '20 minutes' where id = :live_run_id;
select ploomes_sync.continue_partial_pass() as cont_id \gset
select is(pg_temp.body(:cont_id), '{"trigger": "webhook", "mode": "auto"}'::jsonb,
  'a current pass whose last run failed, a non-empty queue: a webhook request');
select pg_temp.clear_requests();
delete from ploomes_sync.webhook_events;
select is(ploomes_sync.continue_partial_pass(), null, 'a current pass whose last run failed, an empty queue: no request');

-------------------------------------------------------------------------------------------------
-- 5. sync_webhook_deletions: the holder's list of deals to check, oldest first.
\i supabase/tests/support/reset_sync_state.sql
insert into t_call values ('holder', public.sync_claim('webhook', 'auto', false, 3600));
select (pg_temp.res('holder') ->> 'runId')::bigint as holder_id, (pg_temp.res('holder') ->> 'passId')::bigint as holder_pass \gset
select pg_temp.run('failed', '30 minutes') as other_run_id \gset
select pg_temp.clear_requests();
select pg_temp.event(401, 'update', '30 minutes');
select pg_temp.event(402, 'delete', '20 minutes');
select pg_temp.event(403, 'delete', '40 minutes', '1 minute');
select pg_temp.event(404, 'delete', '10 minutes');
select pg_temp.event(405, 'delete', '20 minutes');
select throws_ok(format('select public.sync_webhook_deletions(%s, 10)', :other_run_id), 'PT409', null,
  'sync_webhook_deletions by a run without the lease raises PT409');
select is(public.sync_webhook_deletions(:holder_id, 10), array[403, 402, 405, 404]::bigint[],
  'only the check_absence deals, oldest first (first_received_at, then deal id)');
select is(public.sync_webhook_deletions(:holder_id, 2), array[403, 402]::bigint[], 'at most p_limit');
select is(public.sync_webhook_deletions(:holder_id, 0), '{}'::bigint[], 'limit 0: none');

-------------------------------------------------------------------------------------------------
-- 6. sync_webhook_confirm: what Ploomes answered.
-- 402 and 404 announced deleted and absent; 405 announced deleted, absent, rejected and never
-- mirrored; 403 announced deleted but present; 401 absent but never announced deleted.
select pg_temp.deal(401, 9401, :holder_pass);
select pg_temp.deal(402, 9402, :holder_pass);
select pg_temp.deal(403, 9403, :holder_pass);
select pg_temp.deal(404, 9404, :holder_pass);
select pg_temp.deal(406, 9406, :holder_pass);
insert into ploomes_sync.rejected_deals (deal_id, field, reason) values
  (402, 'Amount', 'not a number'), (405, 'Amount', 'not a number'), (406, 'Amount', 'not a number');
select throws_ok(format($$select public.sync_webhook_confirm(%s, '{402, 404, 405}', '{403}')$$, :other_run_id), 'PT409', null,
  'sync_webhook_confirm by a run without the lease raises PT409');
select is((select array_agg(d.deal_id order by d.deal_id) from ploomes_sync.deals d), array[401, 402, 403, 404, 406]::bigint[],
  'the refused call deleted nothing');
select is(public.sync_webhook_confirm(:holder_id, '{401, 402, 404, 405}', '{403}'), 2, 'two announced-deleted mirror deals dropped');
select is((select array_agg(d.deal_id order by d.deal_id) from ploomes_sync.deals d), array[401, 403, 406]::bigint[],
  '402 and 404 left the mirror; 401 (absent, never announced deleted), 403 (present) and 406 stay');
select is((select array_agg(c.customer_id order by c.customer_id) from ploomes_sync.dirty_customers c), array[9402, 9404]::bigint[],
  'the dropped deals'' contacts are marked for recompute, no other');
select is((select array_agg(r.deal_id order by r.deal_id) from ploomes_sync.rejected_deals r), array[406]::bigint[],
  'the absent announced-deleted deals left rejected_deals (405 too, never mirrored); 406 stays');
select is(pg_temp.queue(), array['401 update false', '403 delete false'],
  'the absent ones left the queue; 401 stays unchanged; 403 (present) lost check_absence');
select is((select r.deals_deleted from ploomes_sync.runs r where r.id = :holder_id), 2, 'runs.deals_deleted counts them');
select is(public.sync_webhook_confirm(:holder_id, '{402, 404}', '{}'), 0, 'confirming again drops nothing');
select is((select r.deals_deleted from ploomes_sync.runs r where r.id = :holder_id), 2, 'and deals_deleted stays 2');
select is(public.sync_webhook_deletions(:holder_id, 10), '{}'::bigint[], 'no deletion left to check');

-- An absent deal never announced deleted, but rejected: it is not a confirmed deletion either.
insert into ploomes_sync.rejected_deals (deal_id, field, reason) values (401, 'Amount', 'not a number');
select is(public.sync_webhook_confirm(:holder_id, '{401}', '{}'), 0, 'absent but never announced deleted: nothing dropped');
select is((select array_agg(r.deal_id order by r.deal_id) from ploomes_sync.rejected_deals r), array[401, 406]::bigint[],
  'a deal absent but never announced deleted keeps its rejected_deals row');
select is((select array_agg(d.deal_id order by d.deal_id) from ploomes_sync.deals d), array[401, 403, 406]::bigint[],
  'and its mirror row');

-- A deletion announced again after the run asked about it stays to be asked again, even if the
-- answer to the first question was "present".
update ploomes_sync.webhook_events set check_absence = true, action = 'delete' where deal_id = 403;
select is(public.sync_webhook_deletions(:holder_id, 10), array[403]::bigint[], '403 asked about again');
update ploomes_sync.webhook_events set last_received_at = now() + interval '1 second' where deal_id = 403;
select is(public.sync_webhook_confirm(:holder_id, '{}', '{403}'), 0, 'present: nothing dropped');
select is((select check_absence from ploomes_sync.webhook_events where deal_id = 403), true,
  'announced deleted again after the question: still to be checked');

-------------------------------------------------------------------------------------------------
-- 7. A completed pass clears the events it served.
\i supabase/tests/support/reset_sync_state.sql
create function pg_temp.events_for_pass() returns void language sql as $$
  delete from ploomes_sync.webhook_events;
  select pg_temp.event(501, 'update', '20 minutes');
  select pg_temp.event(502, 'delete', '20 minutes');
  select pg_temp.event(503, 'update', '5 minutes');
  select pg_temp.event(504, 'delete', '5 minutes');
  select pg_temp.event(505, 'update', '20 minutes', '5 minutes');
$$;
select pg_temp.events_for_pass();
insert into ploomes_sync.passes (mode, started_at) values ('incremental', now() - interval '10 minutes') returning id as inc_pass \gset
update ploomes_sync.passes set status = 'completed', finished_at = now() where id = :inc_pass;
select is(pg_temp.queue(), array['502 delete true', '503 update false', '504 delete true', '505 update false'],
  'an incremental pass completed: events received before its start are gone, but a deletion still to check; later events stay');

select pg_temp.events_for_pass();
insert into ploomes_sync.passes (mode, started_at) values ('full', now() - interval '10 minutes') returning id as full_pass \gset
update ploomes_sync.passes set status = 'completed', finished_at = now() where id = :full_pass;
select is(pg_temp.queue(), array['503 update false', '504 delete true', '505 update false'],
  'a full pass completed: every event received before its start is gone; later events stay');

select pg_temp.events_for_pass();
insert into ploomes_sync.passes (mode, started_at) values ('full', now() - interval '10 minutes') returning id as failed_pass \gset
update ploomes_sync.passes set status = 'failed', finished_at = now() where id = :failed_pass;
select is(pg_temp.queue(), array['501 update false', '502 delete true', '503 update false', '504 delete true', '505 update false'],
  'a failed pass deletes nothing');
insert into ploomes_sync.passes (mode, started_at) values ('full', now() - interval '10 minutes') returning id as abandoned_pass \gset
update ploomes_sync.passes set status = 'abandoned', finished_at = now() where id = :abandoned_pass;
select is(cardinality(pg_temp.queue()), 5, 'an abandoned pass deletes nothing');
update ploomes_sync.passes set status = 'completed' where id = :full_pass;
select is(cardinality(pg_temp.queue()), 5, 'setting completed again on a completed pass deletes nothing');

-------------------------------------------------------------------------------------------------
-- 8. sync_health shows the queue.
\i supabase/tests/support/reset_sync_state.sql
select is((select h.webhook_queue_depth || ' ' || coalesce(h.webhook_oldest_event_at::text, 'null') from public.sync_health h),
  '0 null', 'an empty queue: depth 0, oldest event null');
select pg_temp.event(601, 'update', '30 minutes', '1 minute');
select pg_temp.event(602, 'delete', '10 minutes');
select is((select h.webhook_queue_depth from public.sync_health h), 2, 'two queued deals: depth 2');
select is((select h.webhook_oldest_event_at from public.sync_health h), now() - interval '30 minutes',
  'the oldest event is the earliest first_received_at');

-------------------------------------------------------------------------------------------------
-- 9. Privileges and RLS.
select ok(not has_function_privilege('anon', 'public.webhook_enqueue(bigint, text)', 'EXECUTE'), 'anon cannot run webhook_enqueue');
select ok(not has_function_privilege('authenticated', 'public.webhook_enqueue(bigint, text)', 'EXECUTE'), 'authenticated cannot run webhook_enqueue');
select ok(not has_function_privilege('anon', 'public.sync_webhook_deletions(bigint, integer)', 'EXECUTE'), 'anon cannot run sync_webhook_deletions');
select ok(not has_function_privilege('authenticated', 'public.sync_webhook_deletions(bigint, integer)', 'EXECUTE'), 'authenticated cannot run sync_webhook_deletions');
select ok(not has_function_privilege('anon', 'public.sync_webhook_confirm(bigint, bigint[], bigint[])', 'EXECUTE'), 'anon cannot run sync_webhook_confirm');
select ok(not has_function_privilege('authenticated', 'public.sync_webhook_confirm(bigint, bigint[], bigint[])', 'EXECUTE'), 'authenticated cannot run sync_webhook_confirm');
select ok(not has_function_privilege('anon', 'ploomes_sync.wake_webhook_drain()', 'EXECUTE'), 'anon cannot run wake_webhook_drain');
select ok(not has_function_privilege('authenticated', 'ploomes_sync.wake_webhook_drain()', 'EXECUTE'), 'authenticated cannot run wake_webhook_drain');
select ok(has_function_privilege('service_role', 'public.webhook_enqueue(bigint, text)', 'EXECUTE'), 'service_role can run webhook_enqueue');
select ok(has_function_privilege('service_role', 'public.sync_webhook_deletions(bigint, integer)', 'EXECUTE'), 'service_role can run sync_webhook_deletions');
select ok(has_function_privilege('service_role', 'public.sync_webhook_confirm(bigint, bigint[], bigint[])', 'EXECUTE'), 'service_role can run sync_webhook_confirm');
select ok((select relrowsecurity from pg_class where oid = 'ploomes_sync.webhook_events'::regclass), 'RLS is enabled on webhook_events');
select ok(not has_table_privilege('anon', 'ploomes_sync.webhook_events', 'SELECT'), 'anon cannot read webhook_events');
select ok(not has_table_privilege('authenticated', 'ploomes_sync.webhook_events', 'SELECT'), 'authenticated cannot read webhook_events');
set local role authenticated;
select throws_ok($$select public.webhook_enqueue(701, 'update')$$, '42501', null, 'calling webhook_enqueue as authenticated is refused');
reset role;
set local role service_role;
select is(public.webhook_enqueue(701, 'update') ->> 'queued', 'true', 'service_role can queue an event');
reset role;

select * from finish();
rollback;
