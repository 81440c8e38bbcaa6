-- Alerts that reach a person (docs/operations.md, "Alerts"). Every 5 minutes a pg_cron job
-- evaluates the sync's problems; an incident opens when a problem appears and resolves when it
-- is gone, and each of the two sends one Slack-compatible message ({"text": …}) through pg_net
-- to the URL in the optional Vault secret `alert_webhook_url`. Incidents are rows, so nothing is
-- sent twice. The same problem rules back `npm run doctor`'s data checks
-- (ploomes_sync.sync_problems), so the two never disagree.
--
--   problem      open while
--   failing      2 or more runs failed in a row (sync_health.consecutive_failures)
--   stale        no success for more than two schedule periods
--   stuck        a partial pass has not been continued for 15 minutes
--   mass_delete  the latest finished run was stopped by the mass-delete guard

-- How often the sync job runs, read from its pg_cron schedule. Understands pg_cron's
-- 'N seconds', @hourly and @daily, and the cron forms every N minutes (*/N * * * *), every N hours
-- (M */N * * *) and daily (M H * * *); null for anything else or when the job is missing.
create or replace function ploomes_sync.schedule_period() returns interval
language plpgsql stable
set search_path = ''
as $$
declare
  v_schedule text;
  v_step text[];
begin
  select btrim(regexp_replace(j.schedule, '\s+', ' ', 'g')) into v_schedule
    from cron.job j where j.jobname = 'sync-customer-sales';
  if v_schedule is null then return null; end if;
  v_step := regexp_match(v_schedule, '^([0-9]+) seconds?$');
  if v_step is not null then return make_interval(secs => v_step[1]::integer); end if;
  v_step := regexp_match(v_schedule, '^\*(/([0-9]+))? \* \* \* \*$');
  if v_step is not null then return make_interval(mins => coalesce(v_step[2], '1')::integer); end if;
  v_step := regexp_match(v_schedule, '^[0-9]+ \*(/([0-9]+))? \* \* \*$');
  if v_step is not null then return make_interval(hours => coalesce(v_step[2], '1')::integer); end if;
  if v_schedule = '@hourly' then return interval '1 hour'; end if;
  if v_schedule ~ '^[0-9]+ [0-9]+ \* \* \*$' or v_schedule in ('@daily', '@midnight') then return interval '1 day'; end if;
  return null;
end
$$;

-- A schedule this function cannot read is assumed to run daily: the stale rule then fires after
-- two days, late rather than falsely.
create or replace function ploomes_sync.assumed_schedule_period() returns interval
language sql stable
set search_path = ''
as $$ select coalesce(ploomes_sync.schedule_period(), interval '1 day') $$;

-- An interval as people write it in a message: '6 hours', '1.5 days', '5 minutes'.
create or replace function ploomes_sync.describe_interval(p_interval interval) returns text
language sql immutable
set search_path = ''
as $$
  select trim_scale(round(u.amount, 1))::text || ' ' || u.unit || case when round(u.amount, 1) = 1 then '' else 's' end
    from (select extract(epoch from p_interval) as seconds) e
    cross join lateral (
      select case when e.seconds >= 86400 then e.seconds / 86400 when e.seconds >= 3600 then e.seconds / 3600
                  when e.seconds >= 60 then e.seconds / 60 else e.seconds end as amount,
             case when e.seconds >= 86400 then 'day' when e.seconds >= 3600 then 'hour'
                  when e.seconds >= 60 then 'minute' else 'second' end as unit) u
$$;

-- A partial pass is continued by the per-minute job; one left waiting this long is not moving.
create or replace function ploomes_sync.stuck_after() returns interval
language sql immutable
set search_path = ''
as $$ select interval '15 minutes' $$;

-- The problems open right now, each with what to tell a person: a one-line summary, the last
-- error (as sync_health shows it: no quoted payload) and the fix. Read by the alert job and by
-- `npm run doctor`.
create or replace function ploomes_sync.sync_problems()
returns table (problem text, summary text, last_error text, fix text)
language sql stable
set search_path = ''
as $$
  with h as (select * from ploomes_sync.health()),
  period as (select ploomes_sync.assumed_schedule_period() as every),
  -- Since when the sync should have succeeded: its last success; without one, its first run,
  -- or the sync job's first attempt (a schedule that never reached the function has no run).
  since as (
    select coalesce(
             h.last_success_at,
             (select min(r.started_at) from ploomes_sync.runs r where not r.dry_run and r.status <> 'skipped'),
             (select min(d.start_time) from cron.job_run_details d join cron.job j on j.jobid = d.jobid
               where j.jobname = 'sync-customer-sales')) as at
      from h
  ),
  last_finished as (
    select r.status, r.error, r.error_hint from ploomes_sync.runs r
     where r.status in ('succeeded', 'failed') and not r.dry_run
     order by r.finished_at desc nulls last limit 1
  ),
  waiting_pass as (
    select s.current_pass_id as pass_id, coalesce(r.finished_at, r.heartbeat_at, r.started_at) as since
      from ploomes_sync.state s
      join lateral (select * from ploomes_sync.runs r where r.pass_id = s.current_pass_id and r.status <> 'skipped'
                     order by r.id desc limit 1) r on true
     where s.singleton
       and not (s.lease_run_id is not null and s.lease_expires_at > now())
       and r.status in ('partial', 'running')
  )
  select 'failing',
         format('%s sync runs failed in a row, the last at %s', h.consecutive_failures, ploomes_sync.iso_utc(h.last_failure_at)),
         h.last_failure_error,
         coalesce(h.last_failure_hint, 'See docs/operations.md, "Common failures", for the error.')
    from h where h.consecutive_failures >= 2
  union all
  select 'stale',
         format('no successful sync since %s (%s ago; the schedule runs every %s)',
                coalesce(ploomes_sync.iso_utc(h.last_success_at), 'ever'), ploomes_sync.describe_interval(now() - since.at),
                ploomes_sync.describe_interval(period.every)),
         h.last_failure_error,
         case when h.last_failure_error is null
              then 'No run failed: the schedule may not reach the function. Run npm run doctor, or check cron.job_run_details and net._http_response (docs/operations.md).'
              else coalesce(h.last_failure_hint, 'See docs/operations.md, "Common failures", for the error.') end
    from h, period, since
   where since.at < now() - 2 * period.every
  union all
  select 'stuck',
         format('pass %s is partial and has not been continued since %s', w.pass_id, ploomes_sync.iso_utc(w.since)),
         null,
         'The job sync-customer-sales-continue resumes a partial pass every minute: check that it is active (select jobname, active from cron.job) and its deliveries (net._http_response). Resume by hand: select public.trigger_customer_sales_sync();'
    from waiting_pass w where w.since < now() - ploomes_sync.stuck_after()
  union all
  -- The guard's message is written by sync_finish_pass (20261201001100); its hint holds the SQL.
  select 'mass_delete',
         'the mass-delete guard stopped a full pass before deleting anything',
         ploomes_sync.without_payload(lf.error),
         lf.error_hint
    from last_finished lf
   where lf.status = 'failed' and lf.error like 'this full pass would delete %'
$$;
comment on function ploomes_sync.sync_problems() is
  'The sync''s open problems (failing, stale, stuck, mass_delete) with a summary, the last error and the fix; read by the alert job and npm run doctor.';

create table if not exists ploomes_sync.incidents (
  id bigint generated always as identity primary key,
  problem text not null check (problem in ('failing', 'stale', 'stuck', 'mass_delete')),
  summary text not null,
  last_error text,
  fix text not null,
  opened_at timestamptz not null default now(),
  resolved_at timestamptz,
  -- pg_net request ids of the two messages; null when no alert_webhook_url was set at the time.
  open_request_id bigint,
  resolve_request_id bigint
);
-- Rule: one open incident per problem, so a problem that lasts is announced once.
create unique index if not exists incidents_one_open_idx on ploomes_sync.incidents (problem) where resolved_at is null;
comment on table ploomes_sync.incidents is
  'Sync problems as incidents: opened and resolved by ploomes_sync.evaluate_alerts (every 5 minutes), each announced once to Vault alert_webhook_url.';
alter table ploomes_sync.incidents enable row level security;
revoke all on ploomes_sync.incidents from public, anon, authenticated;

-- Vault's alert_webhook_url, or null: alerts are optional, so a missing one is not an error.
create or replace function ploomes_sync.alert_webhook_url() returns text
language sql stable
set search_path = ''
as $$ select nullif(btrim(ds.decrypted_secret), '') from vault.decrypted_secrets ds where ds.name = 'alert_webhook_url' $$;

-- pg_net gives up on a chat webhook after this long; Slack answers in well under a second.
create or replace function ploomes_sync.alert_timeout_ms() returns integer
language sql immutable
set search_path = ''
as $$ select 10000 $$;

-- The message's first words: which project (the host of Vault project_url, which is no secret).
create or replace function ploomes_sync.alert_prefix() returns text
language sql stable
set search_path = ''
as $$
  select '[sync-customer-sales' ||
         coalesce(' ' || substring((select ds.decrypted_secret from vault.decrypted_secrets ds where ds.name = 'project_url')
                                   from '^[a-z]+://([^/:]+)'), '') || '] '
$$;

create or replace function ploomes_sync.post_alert(p_url text, p_text text) returns bigint
language sql
set search_path = ''
as $$
  select net.http_post(
    url := p_url,
    body := jsonb_build_object('text', p_text),
    headers := jsonb_build_object('Content-Type', 'application/json'),
    timeout_milliseconds := ploomes_sync.alert_timeout_ms()
  )
$$;

-- One evaluation: resolve the incidents whose problem is gone, open one per new problem, and
-- announce each change once. Returns the number of messages queued. A resolution is announced
-- only when its opening was (an incident opened before the URL was set stays quiet), and an
-- incident opened without a URL is announced as soon as one is set.
create or replace function ploomes_sync.evaluate_alerts() returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_url text := ploomes_sync.alert_webhook_url();
  v_prefix text := ploomes_sync.alert_prefix();
  v_sent integer := 0;
  v_incident ploomes_sync.incidents;
  v_last_success timestamptz;
  v_open_problems text[];
begin
  -- The job and a manual call never evaluate at once (the unique index would keep the rows
  -- right, but both could announce the same resolution).
  lock table ploomes_sync.incidents in share row exclusive mode;

  v_open_problems := array(select p.problem from ploomes_sync.sync_problems() p);
  select h.last_success_at into v_last_success from ploomes_sync.health() h;

  for v_incident in
    update ploomes_sync.incidents i set resolved_at = now()
     where i.resolved_at is null and i.problem <> all (v_open_problems)
    returning i.*
  loop
    if v_url is not null and v_incident.open_request_id is not null then
      update ploomes_sync.incidents i
         set resolve_request_id = ploomes_sync.post_alert(v_url, format('%sresolved: %s (open since %s). Last success: %s.',
               v_prefix, v_incident.summary, ploomes_sync.iso_utc(v_incident.opened_at),
               coalesce(ploomes_sync.iso_utc(v_last_success), 'none yet')))
       where i.id = v_incident.id;
      v_sent := v_sent + 1;
    end if;
  end loop;

  insert into ploomes_sync.incidents (problem, summary, last_error, fix)
  select p.problem, p.summary, p.last_error, p.fix from ploomes_sync.sync_problems() p
  on conflict (problem) where resolved_at is null do nothing;

  if v_url is not null then
    for v_incident in
      select * from ploomes_sync.incidents i where i.resolved_at is null and i.open_request_id is null order by i.id
    loop
      update ploomes_sync.incidents i
         set open_request_id = ploomes_sync.post_alert(v_url, format('%s%s. Last error: %s. Fix: %s',
               v_prefix, v_incident.summary, coalesce(v_incident.last_error, 'none recorded'), v_incident.fix))
       where i.id = v_incident.id;
      v_sent := v_sent + 1;
    end loop;
  end if;
  return v_sent;
end
$$;
comment on function ploomes_sync.evaluate_alerts() is
  'Opens and resolves incidents from ploomes_sync.sync_problems() and announces each change once to Vault alert_webhook_url; run every 5 minutes by the job sync-customer-sales-alerts.';

revoke all on function ploomes_sync.schedule_period() from public, anon, authenticated;
revoke all on function ploomes_sync.assumed_schedule_period() from public, anon, authenticated;
revoke all on function ploomes_sync.describe_interval(interval) from public, anon, authenticated;
revoke all on function ploomes_sync.stuck_after() from public, anon, authenticated;
revoke all on function ploomes_sync.sync_problems() from public, anon, authenticated;
revoke all on function ploomes_sync.alert_webhook_url() from public, anon, authenticated;
revoke all on function ploomes_sync.alert_timeout_ms() from public, anon, authenticated;
revoke all on function ploomes_sync.alert_prefix() from public, anon, authenticated;
revoke all on function ploomes_sync.post_alert(text, text) from public, anon, authenticated;
revoke all on function ploomes_sync.evaluate_alerts() from public, anon, authenticated;

-- Named like the other jobs, so pausing 'sync-customer-sales%' pauses it too.
select cron.schedule('sync-customer-sales-alerts', '*/5 * * * *', $$select ploomes_sync.evaluate_alerts()$$);
