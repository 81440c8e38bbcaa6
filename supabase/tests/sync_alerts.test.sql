-- Sync requests and alerts (20261201001300, 20261201001400): send_sync_request keeps its pg_net
-- request id for a day; schedule_period reads the sync job's pg_cron schedule; sync_problems
-- finds the failing, stale, stuck and mass_delete problems; evaluate_alerts opens and resolves
-- incidents and announces each change once to Vault alert_webhook_url, without secrets; none of
-- it is reachable by anon or authenticated. Every request is queued in this transaction and
-- rolled back with it, so nothing is ever sent.
begin;
set local search_path = extensions, public;
select plan(99);

\i supabase/tests/support/reset_sync_state.sql
-- The stale rule falls back to the sync job's first attempt in cron.job_run_details when there is
-- no run at all; a job that ran on this database before the test would make a fresh state stale.
delete from cron.job_run_details where jobid = (select jobid from cron.job where jobname = 'sync-customer-sales');

-- Vault values of this test (through Vault's API; the old rows are deleted by name first).
delete from vault.secrets where name in ('project_url', 'cron_secret', 'alert_webhook_url');
do $$ begin
  perform vault.create_secret('https://abcdefghijklmnop.supabase.co/', 'project_url');
  perform vault.create_secret('test-cron-secret-7c1d9e2f4a6b8c0d2e4f6a8b', 'cron_secret');
end $$;

-- A run of the sync as the Edge Function leaves it: finished p_ago ago, started a minute before.
create function pg_temp.run(p_status text, p_ago interval, p_error text default null, p_hint text default null,
                            p_dry boolean default false, p_pass bigint default null) returns bigint
language sql as $$
  insert into ploomes_sync.runs (trigger, requested_mode, mode, status, started_at, finished_at, error, error_hint, dry_run, pass_id)
  values ('cron', 'auto', 'incremental', p_status, now() - p_ago - interval '1 minute',
          case when p_status = 'running' then null else now() - p_ago end, p_error, p_hint, p_dry, p_pass)
  returning id
$$;
create function pg_temp.problems() returns text[] language sql as $$
  select coalesce(array_agg(p.problem order by p.problem), '{}') from ploomes_sync.sync_problems() p
$$;
-- The timestamp format of the messages (ISO 8601, UTC, microseconds), written out here.
create function pg_temp.iso(p_at timestamptz) returns text language sql as $$
  select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
create function pg_temp.alert_text(p_request_id bigint) returns text language sql as $$
  select convert_from(q.body, 'UTF8')::jsonb ->> 'text' from net.http_request_queue q where q.id = p_request_id
$$;
create function pg_temp.set_webhook(p_url text) returns void language plpgsql as $$
begin
  delete from vault.secrets where name = 'alert_webhook_url';
  if p_url is not null then perform vault.create_secret(p_url, 'alert_webhook_url'); end if;
end $$;

-------------------------------------------------------------------------------------------------
-- send_sync_request: the pg_net id, trigger and mode are kept; rows older than a day are dropped.
insert into ploomes_sync.sync_requests (request_id, trigger, mode, queued_at) values
  (-2, 'cron', 'auto', now() - interval '25 hours'),
  (-1, 'cron', 'auto', now() - interval '23 hours');
select ploomes_sync.send_sync_request('manual', 'full') as request_id \gset
select is((select trigger || ' ' || mode from ploomes_sync.sync_requests where request_id = :request_id), 'manual full',
  'send_sync_request records its request with trigger and mode');
select is((select url from net.http_request_queue where id = :request_id),
  'https://abcdefghijklmnop.supabase.co/functions/v1/sync-customer-sales', 'the recorded id is the pg_net request to the sync function');
select is((select queued_at from ploomes_sync.sync_requests where request_id = :request_id), now(), 'queued_at is the time of the call');
select is((select count(*)::int from ploomes_sync.sync_requests where request_id = -2), 0, 'a row older than a day is dropped');
select is((select count(*)::int from ploomes_sync.sync_requests where request_id = -1), 1, 'a row younger than a day stays');
select ploomes_sync.send_sync_request('cron') as cron_request_id \gset
select is((select trigger || ' ' || mode from ploomes_sync.sync_requests where request_id = :cron_request_id), 'cron auto',
  'the default mode auto is recorded');
select throws_ok($$select ploomes_sync.send_sync_request('manual', 'everything')$$, '22023', 'invalid mode everything',
  'an invalid mode is refused');
select is((select count(*)::int from ploomes_sync.sync_requests where mode = 'everything'), 0, 'and records nothing');

-------------------------------------------------------------------------------------------------
-- schedule_period: read from the sync job's schedule, set with cron.alter_job.
select jobid as sync_jobid from cron.job where jobname = 'sync-customer-sales' \gset
create function pg_temp.period_for(p_schedule text) returns interval language plpgsql as $$
begin
  perform cron.alter_job((select j.jobid from cron.job j where j.jobname = 'sync-customer-sales'), schedule := p_schedule);
  return ploomes_sync.schedule_period();
end $$;
select is(pg_temp.period_for('0 */6 * * *'), interval '6 hours', '0 */6 * * * runs every 6 hours');
select is(pg_temp.period_for('*/5 * * * *'), interval '5 minutes', '*/5 * * * * runs every 5 minutes');
select is(pg_temp.period_for('* * * * *'), interval '1 minute', '* * * * * runs every minute');
select is(pg_temp.period_for('15 * * * *'), interval '1 hour', '15 * * * * runs every hour');
select is(pg_temp.period_for('30 3 * * *'), interval '1 day', '30 3 * * * runs daily');
select is(pg_temp.period_for('@hourly'), interval '1 hour', '@hourly runs every hour');
select is(pg_temp.period_for('@daily'), interval '1 day', '@daily runs daily');
select is(pg_temp.period_for('0  */6   * * *'), interval '6 hours', 'extra spaces in the schedule are read too');

-- pg_cron 1.5+ (hosted Supabase) takes '30 seconds'; older pg_cron refuses it in cron.alter_job.
-- There, the function's own body (pg_get_functiondef) is run over a stand-in of cron.job.
create function pg_temp.seconds_period() returns interval language plpgsql as $$
declare
  v_period interval;
begin
  begin
    perform cron.alter_job((select j.jobid from cron.job j where j.jobname = 'sync-customer-sales'), schedule := '30 seconds');
    return ploomes_sync.schedule_period();
  exception when others then
    raise notice 'cron.alter_job refused ''30 seconds'' (%): testing schedule_period''s body over a stand-in of cron.job', sqlerrm;
  end;
  create temp table sync_job_standin as select 'sync-customer-sales'::text as jobname, '30 seconds'::text as schedule;
  execute replace(replace(pg_get_functiondef('ploomes_sync.schedule_period()'::regprocedure),
                          'ploomes_sync.schedule_period()', 'pg_temp.schedule_period_standin()'),
                  'cron.job j', 'pg_temp.sync_job_standin j');
  execute 'select pg_temp.schedule_period_standin()' into v_period;
  return v_period;
end $$;
set local client_min_messages = warning;
select is(pg_temp.seconds_period(), interval '30 seconds', '30 seconds runs every 30 seconds');
reset client_min_messages;
select diag('this pg_cron refuses ''30 seconds'': that case ran schedule_period''s body over a stand-in of cron.job')
 where to_regclass('pg_temp.sync_job_standin') is not null;

select is(pg_temp.period_for('0 9 * * 1'), null::interval, 'a weekly schedule is not understood: null');
select is(ploomes_sync.assumed_schedule_period(), interval '1 day', 'and is assumed to run daily');
select is(pg_temp.period_for('0 */6 * * *'), interval '6 hours', 'back to the project''s schedule');
select is(ploomes_sync.assumed_schedule_period(), interval '6 hours', 'a readable schedule is assumed as it is');

-- Without the job: null (the unscheduling is rolled back to a savepoint, so is read into a variable).
savepoint without_job;
select cron.unschedule('sync-customer-sales') as unscheduled \gset
select ploomes_sync.schedule_period() is null as period_missing_null \gset
rollback to savepoint without_job;
select ok(:'period_missing_null'::boolean, 'no sync job: schedule_period is null');

-------------------------------------------------------------------------------------------------
-- sync_problems: failing.
select is(pg_temp.problems(), '{}'::text[], 'a fresh state has no problem');
select pg_temp.run('succeeded', '3 hours') is not null as ok \gset
select pg_temp.run('failed', '2 hours', 'Ploomes answered 500 Internal Server Error') is not null as ok \gset
select is(pg_temp.problems(), '{}'::text[], 'one failed run after a success is not failing');
select pg_temp.run('failed', '1 hour', 'Ploomes answered 503 Service Unavailable after 4 retries',
                   'Check the Ploomes status page and retry later') is not null as ok \gset
select is(pg_temp.problems(), array['failing'], 'two failed runs in a row after a success: failing');
select is((select summary from ploomes_sync.sync_problems() where problem = 'failing'),
  '2 sync runs failed in a row, the last at ' || pg_temp.iso(now() - interval '1 hour'), 'the summary names the count and the last failure');
select is((select last_error from ploomes_sync.sync_problems() where problem = 'failing'),
  'Ploomes answered 503 Service Unavailable after 4 retries', 'last_error is the last failure''s error');
select is((select fix from ploomes_sync.sync_problems() where problem = 'failing'),
  'Check the Ploomes status page and retry later', 'fix is the last failure''s hint');
select pg_temp.run('succeeded', '30 minutes') is not null as ok \gset
select is(pg_temp.problems(), '{}'::text[], 'a success after them ends failing');
select pg_temp.run('failed', '20 minutes', 'dry run failed', null, true) is not null as ok \gset
select pg_temp.run('failed', '10 minutes', 'dry run failed', null, true) is not null as ok \gset
select is(pg_temp.problems(), '{}'::text[], 'two failed dry runs are not failing');
select pg_temp.run('failed', '5 minutes', 'Ploomes answered 500 Internal Server Error') is not null as ok \gset
select is(pg_temp.problems(), '{}'::text[], 'one failed run plus failed dry runs is not failing');
select pg_temp.run('failed', '4 minutes', 'Ploomes answered 500 Internal Server Error') is not null as ok \gset
select is((select fix from ploomes_sync.sync_problems() where problem = 'failing'),
  'See docs/operations.md, "Common failures", for the error.', 'without a hint, the fix points to the docs');

-- stale (schedule 0 */6 * * *: two periods are 12 hours).
delete from ploomes_sync.runs;
select pg_temp.run('succeeded', '13 hours') is not null as ok \gset
select is(pg_temp.problems(), array['stale'], 'last success 13 hours ago: stale');
select is((select summary from ploomes_sync.sync_problems() where problem = 'stale'),
  'no successful sync since ' || pg_temp.iso(now() - interval '13 hours') || ' (13 hours ago; the schedule runs every 6 hours)',
  'the stale summary names the last success, its age and the schedule');
select is((select last_error from ploomes_sync.sync_problems() where problem = 'stale'), null, 'no failure: no last_error');
select matches((select fix from ploomes_sync.sync_problems() where problem = 'stale'), '^No run failed: the schedule may not reach the function',
  'no failure: the fix suspects the schedule');
update ploomes_sync.runs set started_at = now() - interval '11 hours 1 minute', finished_at = now() - interval '11 hours';
select is(pg_temp.problems(), '{}'::text[], 'last success 11 hours ago: not stale');
select pg_temp.period_for('0 9 * * 1') is null as ok \gset
select is(pg_temp.problems(), '{}'::text[], 'an unreadable schedule is taken as daily: 11 hours is not stale');
update ploomes_sync.runs set started_at = now() - interval '2 days 1 hour 1 minute', finished_at = now() - interval '2 days 1 hour';
select is(pg_temp.problems(), array['stale'], 'an unreadable schedule: stale after two days (2 days 1 hour)');
select pg_temp.period_for('0 */6 * * *') is not null as ok \gset

-- No success at all: the reference is the first run.
delete from ploomes_sync.runs;
select pg_temp.run('skipped', '20 hours') is not null as ok \gset
select pg_temp.run('failed', '13 hours', 'Ploomes answered 401 Unauthorized', 'Check PLOOMES_API_KEY') is not null as ok \gset
select is(pg_temp.problems(), array['stale'], 'no success, first run 13 hours ago: stale');
select is((select summary from ploomes_sync.sync_problems() where problem = 'stale'),
  'no successful sync since ever (13 hours ago; the schedule runs every 6 hours)', 'the summary counts from the first run''s start');
select is((select last_error || ' / ' || fix from ploomes_sync.sync_problems() where problem = 'stale'),
  'Ploomes answered 401 Unauthorized / Check PLOOMES_API_KEY', 'with a failure, its error and hint');
update ploomes_sync.runs set started_at = now() - interval '11 hours', finished_at = now() - interval '10 hours 59 minutes' where status = 'failed';
select is(pg_temp.problems(), '{}'::text[], 'no success, first run 11 hours ago (a skipped run 20 hours ago does not count): not stale');

-- stuck: the current pass's latest run is partial and has waited more than 15 minutes, no live lease.
delete from ploomes_sync.runs;
select pg_temp.run('succeeded', '1 hour') is not null as ok \gset
insert into ploomes_sync.passes (mode) values ('full') returning id as pass_id \gset
update ploomes_sync.state set current_pass_id = :pass_id;
select pg_temp.run('partial', '16 minutes', null, null, false, :pass_id) as partial_run_id \gset
select is(pg_temp.problems(), array['stuck'], 'a partial pass not continued for 16 minutes: stuck');
select is((select summary from ploomes_sync.sync_problems() where problem = 'stuck'),
  'pass ' || :pass_id || ' is partial and has not been continued since ' || pg_temp.iso(now() - interval '16 minutes'),
  'the stuck summary names the pass and since when');
select matches((select fix from ploomes_sync.sync_problems() where problem = 'stuck'), 'sync-customer-sales-continue',
  'the fix names the continue job');
select pg_temp.run('running', '0 minutes') as lease_run_id \gset
update ploomes_sync.state set lease_run_id = :lease_run_id, lease_expires_at = now() + interval '2 minutes';
select is(pg_temp.problems(), '{}'::text[], 'not while a live lease is held');
update ploomes_sync.state set lease_expires_at = now() - interval '1 minute';
select is(pg_temp.problems(), array['stuck'], 'an expired lease does not hold it');
update ploomes_sync.state set lease_run_id = null, lease_expires_at = null;
update ploomes_sync.runs set finished_at = now() - interval '14 minutes' where id = :partial_run_id;
select is(pg_temp.problems(), '{}'::text[], 'partial for 14 minutes: not stuck');
update ploomes_sync.state set current_pass_id = null;
update ploomes_sync.runs set finished_at = now() - interval '16 minutes' where id = :partial_run_id;
select is(pg_temp.problems(), '{}'::text[], 'no current pass: not stuck');

-- mass_delete: the latest finished run was stopped by the mass-delete guard.
delete from ploomes_sync.runs;
select pg_temp.run('succeeded', '1 hour') is not null as ok \gset
select pg_temp.run('failed', '30 minutes',
  'this full pass would delete 900 of the 1000 mirrored deals (90.0%), above SYNC_MAX_DELETE_RATIO = 0.5',
  'If these deals really are gone from Ploomes, allow it once in SQL: select public.sync_allow_mass_delete();') is not null as ok \gset
select is(pg_temp.problems(), array['mass_delete'], 'a run stopped by the mass-delete guard: mass_delete');
select is((select summary || ' / ' || last_error || ' / ' || fix from ploomes_sync.sync_problems() where problem = 'mass_delete'),
  'the mass-delete guard stopped a full pass before deleting anything / this full pass would delete 900 of the 1000 mirrored deals (90.0%), above SYNC_MAX_DELETE_RATIO = 0.5 / If these deals really are gone from Ploomes, allow it once in SQL: select public.sync_allow_mass_delete();',
  'its summary, the guard''s error and its hint');
select pg_temp.run('failed', '20 minutes', 'this full pass would delete 900 of the 1000 mirrored deals (90.0%), above SYNC_MAX_DELETE_RATIO = 0.5',
                   null, true) is not null as ok \gset
select pg_temp.run('failed', '25 minutes', 'Ploomes answered 500 Internal Server Error', null, true) is not null as ok \gset
select is(pg_temp.problems(), array['mass_delete'], 'dry runs do not change the latest finished run');
select pg_temp.run('succeeded', '10 minutes') is not null as ok \gset
select is(pg_temp.problems(), '{}'::text[], 'a success after it ends mass_delete');
select pg_temp.run('failed', '8 minutes', 'this full pass would delete 900 of the 1000 mirrored deals (90.0%), above SYNC_MAX_DELETE_RATIO = 0.5')
  is not null as ok \gset
select pg_temp.run('failed', '6 minutes', 'Ploomes answered 500 Internal Server Error') is not null as ok \gset
select is(pg_temp.problems(), array['failing'], 'a later failure of another kind: failing, not mass_delete');

-------------------------------------------------------------------------------------------------
-- evaluate_alerts, with a webhook.
delete from ploomes_sync.runs;
select pg_temp.set_webhook('http://127.0.0.1:9/hook') as webhook_set \gset
select pg_temp.run('succeeded', '3 hours') is not null as ok \gset
select pg_temp.run('failed', '2 hours', 'Ploomes answered 500 Internal Server Error') is not null as ok \gset
select pg_temp.run('failed', '1 hour', 'Ploomes answered 503 Service Unavailable after 4 retries',
                   'Check the Ploomes status page and retry later') is not null as ok \gset
select is(ploomes_sync.evaluate_alerts(), 1, 'two failed runs: one message queued');
select is((select array_agg(problem || ' ' || (resolved_at is null)) from ploomes_sync.incidents), array['failing true'],
  'one open failing incident');
select isnt((select open_request_id from ploomes_sync.incidents), null, 'its open_request_id is set');
select open_request_id as open_id from ploomes_sync.incidents \gset
select is((select method::text || ' ' || url from net.http_request_queue where id = :open_id), 'POST http://127.0.0.1:9/hook',
  'the message is POSTed to the webhook');
select ok(strpos(pg_temp.alert_text(:open_id), '2 sync runs failed in a row, the last at ' || pg_temp.iso(now() - interval '1 hour')) > 0,
  'the message holds the summary');
select ok(strpos(pg_temp.alert_text(:open_id), 'Ploomes answered 503 Service Unavailable after 4 retries') > 0, 'the message holds the error');
select ok(strpos(pg_temp.alert_text(:open_id), 'Check the Ploomes status page and retry later') > 0, 'the message holds the fix');
select is(pg_temp.alert_text(:open_id),
  '[sync-customer-sales abcdefghijklmnop.supabase.co] 2 sync runs failed in a row, the last at ' || pg_temp.iso(now() - interval '1 hour')
  || '. Last error: Ploomes answered 503 Service Unavailable after 4 retries. Fix: Check the Ploomes status page and retry later',
  'the whole message, headed by the project''s host');
select is((select count(*)::int from net.http_request_queue where url = 'http://127.0.0.1:9/hook'), 1, 'one request to the webhook so far');
select is(ploomes_sync.evaluate_alerts(), 0, 'a second evaluation sends nothing');
select is((select count(*)::int from ploomes_sync.incidents), 1, 'and adds no incident');
select is((select count(*)::int from net.http_request_queue where url = 'http://127.0.0.1:9/hook'), 1, 'and queues no request');

select pg_temp.run('succeeded', '1 minute') is not null as ok \gset
select is(ploomes_sync.evaluate_alerts(), 1, 'a success: the resolution is queued');
select is((select resolved_at from ploomes_sync.incidents), now(), 'the incident is resolved');
select isnt((select resolve_request_id from ploomes_sync.incidents), null, 'its resolve_request_id is set');
select resolve_request_id as resolve_id from ploomes_sync.incidents \gset
select is((select url from net.http_request_queue where id = :resolve_id), 'http://127.0.0.1:9/hook', 'the resolution goes to the webhook');
select ok(pg_temp.alert_text(:resolve_id) like '[sync-customer-sales%' and strpos(pg_temp.alert_text(:resolve_id), 'resolved') > 0,
  'the resolution starts with [sync-customer-sales and says resolved');
select is(pg_temp.alert_text(:resolve_id),
  '[sync-customer-sales abcdefghijklmnop.supabase.co] resolved: 2 sync runs failed in a row, the last at ' || pg_temp.iso(now() - interval '1 hour')
  || ' (open since ' || pg_temp.iso(now()) || '). Last success: ' || pg_temp.iso(now() - interval '1 minute') || '.',
  'the whole resolution message');
select is(ploomes_sync.evaluate_alerts(), 0, 'then nothing more');

-- Without a webhook: recorded, not announced; announced once a URL is set.
select pg_temp.set_webhook(null) as webhook_set \gset
select pg_temp.run('failed', '50 seconds', 'Ploomes answered 500 Internal Server Error') is not null as ok \gset
select pg_temp.run('failed', '40 seconds', 'Ploomes answered 500 Internal Server Error') is not null as ok \gset
select is(ploomes_sync.evaluate_alerts(), 0, 'no alert_webhook_url: nothing queued');
select is((select array_agg(problem || ' ' || (open_request_id is null)) from ploomes_sync.incidents where resolved_at is null),
  array['failing true'], 'the incident is recorded with open_request_id null');
select pg_temp.set_webhook('http://127.0.0.1:9/hook') as webhook_set \gset
select is(ploomes_sync.evaluate_alerts(), 1, 'once the URL is set, the next evaluation announces it');
select isnt((select open_request_id from ploomes_sync.incidents where resolved_at is null), null, 'its open_request_id is now set');
select is(ploomes_sync.evaluate_alerts(), 0, 'and only once');

-- An incident never announced resolves silently, even with a URL by then.
select pg_temp.set_webhook(null) as webhook_set \gset
select pg_temp.run('succeeded', '30 seconds') is not null as ok \gset
select is(ploomes_sync.evaluate_alerts(), 0, 'no URL at resolution time: resolved without a message');
select pg_temp.run('failed', '20 seconds', 'Ploomes answered 500 Internal Server Error') is not null as ok \gset
select pg_temp.run('failed', '10 seconds', 'Ploomes answered 500 Internal Server Error') is not null as ok \gset
select is(ploomes_sync.evaluate_alerts(), 0, 'opened again without a URL: nothing queued');
select pg_temp.set_webhook('http://127.0.0.1:9/hook') as webhook_set \gset
select pg_temp.run('succeeded', '5 seconds') is not null as ok \gset
select is(ploomes_sync.evaluate_alerts(), 0, 'an incident never announced resolves silently');
select is((select count(*)::int from ploomes_sync.incidents where resolved_at is null), 0, 'no incident left open');
select is((select count(*)::int from ploomes_sync.incidents
            where open_request_id is null and resolve_request_id is null and resolved_at = now()), 1,
  'the silent one is resolved with neither request id');

-- No secret in any message: neither the cron secret nor the webhook URL, and no x-cron-secret header.
select is((select count(*)::int from net.http_request_queue where url = 'http://127.0.0.1:9/hook'), 3,
  'three messages in all: open, resolve, open');
select is((select count(*)::int from net.http_request_queue q
            where q.url = 'http://127.0.0.1:9/hook'
              and (strpos(convert_from(q.body, 'UTF8'), 'test-cron-secret-7c1d9e2f4a6b8c0d2e4f6a8b') > 0
                   or strpos(convert_from(q.body, 'UTF8'), 'http://127.0.0.1:9/hook') > 0
                   or strpos(convert_from(q.body, 'UTF8'), '127.0.0.1:9') > 0)), 0,
  'no message body holds the cron secret or the webhook URL');
select is((select count(*)::int from net.http_request_queue q
            where q.url = 'http://127.0.0.1:9/hook' and (q.headers ? 'x-cron-secret' or q.headers::text like '%test-cron-secret%')), 0,
  'no message carries the cron secret in its headers');

-------------------------------------------------------------------------------------------------
-- Privileges, RLS and the job.
select ok(not has_function_privilege('anon', 'ploomes_sync.evaluate_alerts()', 'EXECUTE'), 'anon cannot run evaluate_alerts');
select ok(not has_function_privilege('authenticated', 'ploomes_sync.evaluate_alerts()', 'EXECUTE'), 'authenticated cannot run evaluate_alerts');
select ok(not has_function_privilege('anon', 'ploomes_sync.sync_problems()', 'EXECUTE'), 'anon cannot run sync_problems');
select ok(not has_function_privilege('authenticated', 'ploomes_sync.sync_problems()', 'EXECUTE'), 'authenticated cannot run sync_problems');
select ok(not has_table_privilege('anon', 'ploomes_sync.incidents', 'SELECT'), 'anon cannot read incidents');
select ok(not has_table_privilege('authenticated', 'ploomes_sync.incidents', 'SELECT'), 'authenticated cannot read incidents');
select ok(not has_table_privilege('anon', 'ploomes_sync.sync_requests', 'SELECT'), 'anon cannot read sync_requests');
select ok(not has_table_privilege('authenticated', 'ploomes_sync.sync_requests', 'SELECT'), 'authenticated cannot read sync_requests');
select ok((select relrowsecurity from pg_class where oid = 'ploomes_sync.incidents'::regclass), 'RLS is enabled on incidents');
select ok((select relrowsecurity from pg_class where oid = 'ploomes_sync.sync_requests'::regclass), 'RLS is enabled on sync_requests');
select is((select schedule || ' | ' || command from cron.job where jobname = 'sync-customer-sales-alerts'),
  '*/5 * * * * | select ploomes_sync.evaluate_alerts()', 'the job sync-customer-sales-alerts runs evaluate_alerts every 5 minutes');
select is((select count(*)::int from cron.job where jobname = 'sync-customer-sales-alerts' and active), 1, 'exactly one such job, active');

select * from finish();
rollback;
