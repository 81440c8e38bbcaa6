-- Near-real-time from Ploomes webhooks (docs/operations.md, "Webhooks"). The Edge Function
-- ploomes-webhook stores each deal event as a hint — the deal's Id and the action, never its values —
-- in ploomes_sync.webhook_events, one row per deal, so a redelivered or repeated event is one row.
-- The first event into an empty queue wakes the sync at once through pg_net (trigger 'webhook');
-- the per-minute job picks up whatever is left. The sync refreshes the deals with an incremental
-- pass (the same store path, guards and recompute as the schedule's), checks by Id that a deal
-- announced deleted is really gone before the mirror drops it, and a completed pass clears the
-- events it covered. The 6-hourly incremental and the weekly full pass stay the safety net.

-- The triggers a run may come from, in one place: the runs table's check and sync_claim read it.
create or replace function ploomes_sync.sync_triggers() returns text[]
language sql immutable
set search_path = ''
as $$ select array['cron', 'continue', 'manual', 'cli', 'webhook'] $$;

alter table ploomes_sync.runs drop constraint if exists runs_trigger_check;
alter table ploomes_sync.runs add constraint runs_trigger_check check (trigger = any (ploomes_sync.sync_triggers()));

create table if not exists ploomes_sync.webhook_events (
  deal_id bigint primary key,
  -- The latest action announced: create, update or delete (a hint only).
  action text not null check (action in ('create', 'update', 'delete')),
  -- Set once any delete was announced while queued: the sync asks Ploomes whether the deal is gone.
  check_absence boolean not null default false,
  -- When a run last asked Ploomes about it; an event received later is asked about again.
  absence_asked_at timestamptz,
  first_received_at timestamptz not null default now(),
  last_received_at timestamptz not null default now(),
  deliveries integer not null default 1
);
create index if not exists webhook_events_last_received_at_idx on ploomes_sync.webhook_events (last_received_at);
comment on table ploomes_sync.webhook_events is
  'Deals announced changed by Ploomes webhooks, waiting for the sync to refresh them (one row per deal; a hint, never values).';
alter table ploomes_sync.webhook_events enable row level security;
revoke all on ploomes_sync.webhook_events from public, anon, authenticated;
grant select, insert, update, delete on ploomes_sync.webhook_events to service_role;

-- A run that failed this recently is not retried for webhooks: a broken key or a Ploomes outage
-- would otherwise cost a failed run every minute. The schedule and the next event still run.
create or replace function ploomes_sync.webhook_retry_after() returns interval
language sql immutable
set search_path = ''
as $$ select interval '15 minutes' $$;

-- Asks the function to drain the queue, unless it would be pointless: the queue is empty, a run
-- holds a live lease (its pass or the next one will serve the events), a request to the function
-- is already waiting in pg_net, the last run failed moments ago, or Vault lacks the schedule's
-- secrets (the per-minute job then raises, visibly). Returns the pg_net request id, or null.
create or replace function ploomes_sync.wake_webhook_drain() returns bigint
language plpgsql
set search_path = ''
as $$
declare
  v_state ploomes_sync.state;
begin
  if not exists (select 1 from ploomes_sync.webhook_events) then return null; end if;
  select * into v_state from ploomes_sync.state s where s.singleton;
  if v_state.lease_run_id is not null and v_state.lease_expires_at > now() then return null; end if;
  if exists (select 1 from net.http_request_queue q where q.url like '%/functions/v1/sync-customer-sales%') then
    return null;
  end if;
  if exists (select 1 from ploomes_sync.runs r
              where r.status = 'failed' and r.finished_at > now() - ploomes_sync.webhook_retry_after()
                and r.id = (select max(l.id) from ploomes_sync.runs l where l.status in ('succeeded', 'failed'))) then
    return null;
  end if;
  if (select count(*) from vault.decrypted_secrets ds
       where ds.name in ('project_url', 'cron_secret') and nullif(ds.decrypted_secret, '') is not null) < 2 then
    return null;
  end if;
  -- auto: resumes a pass in progress whatever its mode (an explicit mode would abandon it).
  return ploomes_sync.send_sync_request('webhook', 'auto');
end
$$;

-- The receiver's one call: queue the deal (coalescing with an event already queued for it) and,
-- when this event made the queue non-empty, wake the sync. SECURITY DEFINER: waking reads Vault,
-- which service_role may not.
create or replace function public.webhook_enqueue(p_deal_id bigint, p_action text) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_first boolean;
  v_request_id bigint;
begin
  if p_deal_id is null or p_deal_id <= 0 then
    raise exception 'invalid deal id %', coalesce(p_deal_id::text, 'null') using errcode = '22023';
  end if;
  if p_action is null or p_action not in ('create', 'update', 'delete') then
    raise exception 'invalid action %', coalesce(p_action, 'null') using errcode = '22023', hint = 'use create, update or delete';
  end if;
  v_first := not exists (select 1 from ploomes_sync.webhook_events);
  insert into ploomes_sync.webhook_events as w (deal_id, action, check_absence)
  values (p_deal_id, p_action, p_action = 'delete')
  on conflict (deal_id) do update
     set action = excluded.action,
         check_absence = w.check_absence or excluded.check_absence,
         last_received_at = now(),
         deliveries = w.deliveries + 1;
  if v_first then v_request_id := ploomes_sync.wake_webhook_drain(); end if;
  return jsonb_build_object('queued', true, 'woke', v_request_id is not null);
end
$$;
comment on function public.webhook_enqueue(bigint, text) is
  'Webhook receiver API: queues a Ploomes deal event (Id and action only) for the sync, and wakes it when the queue was empty.';

-- The Ids of queued deals announced deleted, for the run to look up in Ploomes; each is stamped
-- with the time it was asked about.
create or replace function public.sync_webhook_deletions(p_run_id bigint, p_limit integer) returns bigint[]
language plpgsql
set search_path = ''
as $$
declare
  v_ids bigint[];
begin
  perform ploomes_sync.lock_state_for_run(p_run_id);
  with asked as (
    update ploomes_sync.webhook_events w set absence_asked_at = now()
     where w.deal_id in (select q.deal_id from ploomes_sync.webhook_events q where q.check_absence
                          order by q.first_received_at, q.deal_id limit greatest(coalesce(p_limit, 0), 0))
    returning w.deal_id, w.first_received_at
  )
  select coalesce(array_agg(a.deal_id order by a.first_received_at, a.deal_id), '{}') into v_ids from asked a;
  return v_ids;
end
$$;

-- What Ploomes answered: the absent deals are gone (dropped from the mirror and the rejects, their
-- customers recomputed by this pass's finish), the present ones were not deleted after all —
-- unless a deletion was announced again after they were asked about. Returns the number dropped.
create or replace function public.sync_webhook_confirm(p_run_id bigint, p_absent bigint[], p_present bigint[]) returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_dropped integer;
begin
  perform ploomes_sync.lock_state_for_run(p_run_id);
  -- Rule: only a deal announced deleted AND answered absent by Ploomes leaves the mirror.
  with confirmed as (
    select w.deal_id from ploomes_sync.webhook_events w
     where w.check_absence and w.deal_id = any (coalesce(p_absent, '{}'))
  ), gone as (
    delete from ploomes_sync.deals d using confirmed c where d.deal_id = c.deal_id
    returning d.deal_id, d.contact_id
  ), dirty as (
    insert into ploomes_sync.dirty_customers (customer_id)
    select distinct g.contact_id from gone g where g.contact_id is not null
    on conflict do nothing
  ), rejects as (
    delete from ploomes_sync.rejected_deals r using confirmed c where r.deal_id = c.deal_id
  ), served as (
    delete from ploomes_sync.webhook_events w using confirmed c where w.deal_id = c.deal_id
  )
  select count(*)::integer into v_dropped from gone;
  update ploomes_sync.webhook_events w set check_absence = false
   where w.check_absence and w.deal_id = any (coalesce(p_present, '{}')) and w.last_received_at <= w.absence_asked_at;
  update ploomes_sync.runs r set deals_deleted = r.deals_deleted + v_dropped where r.id = p_run_id;
  return v_dropped;
end
$$;

-- Rule: a completed pass read every deal changed before it started (a full pass: every deal), so
-- the events received before then are served — except a deletion still to be checked by Id after
-- an incremental pass (an incremental pass cannot see deletions).
create or replace function ploomes_sync.clear_served_webhook_events() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  delete from ploomes_sync.webhook_events w
   where w.last_received_at < new.started_at and (new.mode = 'full' or not w.check_absence);
  return null;
end
$$;
drop trigger if exists passes_clear_served_webhook_events on ploomes_sync.passes;
create trigger passes_clear_served_webhook_events
  after update of status on ploomes_sync.passes
  for each row when (new.status = 'completed' and old.status is distinct from 'completed')
  execute function ploomes_sync.clear_served_webhook_events();

-- As before (20261128000800), and when no pass is waiting, the events left in the queue (those
-- that arrived while a run was busy) are drained.
create or replace function ploomes_sync.continue_partial_pass() returns bigint
language plpgsql
set search_path = ''
as $$
declare
  v_state ploomes_sync.state;
  v_last_status text;
begin
  select * into v_state from ploomes_sync.state s where s.singleton;
  if v_state.current_pass_id is null then return ploomes_sync.wake_webhook_drain(); end if;
  if v_state.lease_run_id is not null and v_state.lease_expires_at > now() then return null; end if;
  select r.status into v_last_status from ploomes_sync.runs r
   where r.pass_id = v_state.current_pass_id and r.status <> 'skipped'
   order by r.id desc limit 1;
  if v_last_status is distinct from 'partial' and v_last_status is distinct from 'running' then
    return ploomes_sync.wake_webhook_drain();
  end if;
  if exists (select 1 from net.http_request_queue q where q.url like '%/functions/v1/sync-customer-sales%') then
    return null;
  end if;
  return ploomes_sync.send_sync_request('continue');
end
$$;

-- sync_claim as in 20261201000800, the trigger list read from ploomes_sync.sync_triggers().
create or replace function public.sync_claim(
  p_trigger text,
  p_requested_mode text default 'auto',
  p_dry_run boolean default false,
  p_lease_seconds integer default 60,
  p_full_every_hours numeric default 168,
  p_overlap_seconds integer default 300,
  p_source text default null
) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_now timestamptz := clock_timestamp();
  v_state ploomes_sync.state;
  v_pass ploomes_sync.passes;
  v_run_id bigint;
  v_mode text;
  v_resumed boolean := false;
  v_full_due boolean;
  v_warnings jsonb := '[]'::jsonb;
  v_requested text := p_requested_mode;
  v_since timestamptz;
begin
  if p_trigger is null or not p_trigger = any (ploomes_sync.sync_triggers()) then
    raise exception 'invalid trigger %', coalesce(p_trigger, 'null') using errcode = '22023',
      hint = 'use one of ' || array_to_string(ploomes_sync.sync_triggers(), ', ');
  end if;
  if p_requested_mode is null or p_requested_mode not in ('auto', 'incremental', 'full') then
    raise exception 'invalid mode %', coalesce(p_requested_mode, 'null') using errcode = '22023', hint = 'use auto, incremental or full';
  end if;
  if coalesce(p_lease_seconds, 0) <= 0 or coalesce(p_full_every_hours, 0) <= 0 or coalesce(p_overlap_seconds, -1) < 0 then
    raise exception 'p_lease_seconds and p_full_every_hours must be positive, p_overlap_seconds not negative' using errcode = '22023';
  end if;

  select * into strict v_state from ploomes_sync.state s where s.singleton for update;

  if v_state.lease_run_id is not null then
    if v_state.lease_expires_at > v_now then
      -- One run at a time. The refused invocation is still recorded, so nothing is invisible.
      insert into ploomes_sync.runs (trigger, requested_mode, dry_run, status, finished_at, http_status, error, error_hint)
      values (p_trigger, p_requested_mode, coalesce(p_dry_run, false), 'skipped', v_now, 409,
              format('run %s holds the sync lease until %s', v_state.lease_run_id, ploomes_sync.iso_utc(v_state.lease_expires_at)),
              'Another invocation is syncing; this one did nothing. It is safe to retry after that run ends.')
      returning id into v_run_id;
      return jsonb_build_object('claimed', false, 'runId', v_run_id, 'holderRunId', v_state.lease_run_id,
                                'leaseExpiresAt', ploomes_sync.iso_utc(v_state.lease_expires_at));
    end if;
    -- The holder stopped heartbeating (killed at the wall clock, crashed): take over.
    update ploomes_sync.runs r
       set status = 'failed', finished_at = v_now, http_status = coalesce(r.http_status, 500),
           error = format('stopped heartbeating; its lease expired at %s and a later run took over', ploomes_sync.iso_utc(v_state.lease_expires_at)),
           error_hint = 'The invocation was probably stopped by the Edge Runtime (wall clock, CPU or memory limit) or crashed. Its committed pages are kept; the pass resumes from there.'
     where r.id = v_state.lease_run_id and r.status = 'running';
  end if;

  insert into ploomes_sync.runs (trigger, requested_mode, dry_run, status, heartbeat_at, cursor_before)
  values (p_trigger, p_requested_mode, coalesce(p_dry_run, false), 'running', v_now, v_state.cursor)
  returning id into v_run_id;

  if p_source is not null and v_state.source is distinct from p_source and not coalesce(p_dry_run, false) then
    if v_state.source is not null then
      v_warnings := v_warnings || to_jsonb(format('the Ploomes source changed from %s to %s: the cursor no longer applies, so this is a full pass', v_state.source, p_source));
      v_state.cursor := null;
      update ploomes_sync.passes set status = 'abandoned', finished_at = v_now
       where id = v_state.current_pass_id and status = 'in_progress';
      delete from ploomes_sync.pass_gone g where g.pass_id = v_state.current_pass_id;
      v_state.current_pass_id := null;
      update ploomes_sync.state set cursor = null, current_pass_id = null where singleton;
    end if;
    update ploomes_sync.state set source = p_source where singleton;
  end if;

  v_full_due := v_state.cursor is null
             or v_state.last_full_pass_at is null
             or v_state.last_full_pass_at < v_now - make_interval(secs => p_full_every_hours * 3600);

  if v_state.current_pass_id is not null then
    select * into strict v_pass from ploomes_sync.passes p where p.id = v_state.current_pass_id;
  end if;

  -- Without a cursor there is nothing to be incremental from: the request means a full pass.
  if p_requested_mode in ('incremental', 'auto') and v_state.cursor is null then
    if p_requested_mode = 'incremental' then
      v_warnings := v_warnings || to_jsonb('incremental was requested but there is no cursor yet: the first pass is a full pass'::text);
    end if;
    v_requested := 'full';
  end if;

  -- The mode a new pass would have (a resumed pass keeps its own).
  v_mode := case when v_requested = 'auto' then (case when v_full_due then 'full' else 'incremental' end) else v_requested end;
  v_since := case when v_mode = 'incremental' then v_state.cursor - make_interval(secs => p_overlap_seconds) end;

  if coalesce(p_dry_run, false) then
    -- A dry run reads what a new pass would read and writes nothing but its run row.
    update ploomes_sync.runs set mode = v_mode, warnings = v_warnings where id = v_run_id;
    update ploomes_sync.state set lease_run_id = v_run_id, lease_expires_at = v_now + make_interval(secs => p_lease_seconds),
                                  lease_heartbeat_at = v_now where singleton;
    return jsonb_build_object('claimed', true, 'runId', v_run_id, 'passId', null, 'mode', v_mode, 'resumed', false,
      'dryRun', true, 'position', null, 'productsAvailable', true,
      'since', ploomes_sync.iso_utc(v_since));
  end if;

  -- A finishing pass is always resumed: its guards passed and it may have deleted deals
  -- already, so only its own finish can publish consistently.
  if v_pass.id is not null and v_pass.status = 'in_progress'
     and (v_requested in ('auto', v_pass.mode) or v_pass.finish_phase is not null) then
    v_resumed := true;
  else
    if v_pass.id is not null and v_pass.status = 'in_progress' then
      -- An explicit request for the other mode replaces the pass; its stored pages stay valid and
      -- its pending recomputes stay in dirty_customers, so nothing is lost.
      update ploomes_sync.passes set status = 'abandoned', finished_at = v_now where id = v_pass.id;
      delete from ploomes_sync.pass_gone g where g.pass_id = v_pass.id;
    end if;
    insert into ploomes_sync.passes (mode, started_at, since)
    values (v_mode, v_now, v_since)
    returning * into v_pass;
  end if;

  update ploomes_sync.state
     set current_pass_id = v_pass.id, lease_run_id = v_run_id,
         lease_expires_at = v_now + make_interval(secs => p_lease_seconds), lease_heartbeat_at = v_now
   where singleton;
  update ploomes_sync.runs set mode = v_pass.mode, pass_id = v_pass.id, resumed = v_resumed, warnings = v_warnings
   where id = v_run_id;

  return jsonb_build_object('claimed', true, 'runId', v_run_id, 'passId', v_pass.id, 'mode', v_pass.mode,
    'resumed', v_resumed, 'dryRun', false, 'position', v_pass.position, 'productsAvailable', v_pass.products_available,
    'since', ploomes_sync.iso_utc(v_pass.since), 'passStartedAt', ploomes_sync.iso_utc(v_pass.started_at),
    'finishing', v_pass.finish_phase is not null);
end
$$;

comment on function public.sync_claim(text, text, boolean, integer, numeric, integer, text) is
  'Sync API: records a run and claims the one-at-a-time lease (taking over an expired one), then resumes the pass in progress (always one that is finishing) or starts one. Returns {claimed:false} when another run holds the lease.';

-- sync_health gains the webhook queue: its depth and its oldest event (the view's columns come
-- from the function, so both are re-created).
drop view if exists public.sync_health;
drop function if exists ploomes_sync.health();

create function ploomes_sync.health()
returns table (
  last_success_at timestamptz,
  last_failure_at timestamptz,
  last_failure_error text,
  last_failure_hint text,
  consecutive_failures integer,
  data_age interval,
  last_run_status text,
  last_run_at timestamptz,
  pass_in_progress boolean,
  running boolean,
  rejected_deals integer,
  line_items_source text,
  line_items_reason text,
  line_items_decided_at timestamptz,
  webhook_queue_depth integer,
  webhook_oldest_event_at timestamptz
)
language sql stable
security definer
set search_path = ''
as $$
  with finished as (
    select r.* from ploomes_sync.runs r where r.status in ('succeeded', 'failed') and not r.dry_run
  ),
  last_success as (select max(f.finished_at) as at from finished f where f.status = 'succeeded'),
  last_failure as (select f.* from finished f where f.status = 'failed' order by f.finished_at desc limit 1)
  select ls.at,
         lf.finished_at,
         ploomes_sync.without_payload(lf.error),
         lf.error_hint,
         (select count(*)::integer from finished f where f.status = 'failed' and f.finished_at > coalesce(ls.at, '-infinity')),
         now() - ls.at,
         (select r.status from ploomes_sync.runs r order by r.id desc limit 1),
         (select r.started_at from ploomes_sync.runs r order by r.id desc limit 1),
         s.current_pass_id is not null,
         s.lease_run_id is not null and s.lease_expires_at > now(),
         (select count(*)::integer from ploomes_sync.rejected_deals),
         s.line_items_source,
         s.line_items_reason,
         s.line_items_decided_at,
         (select count(*)::integer from ploomes_sync.webhook_events),
         (select min(w.first_received_at) from ploomes_sync.webhook_events w)
    from last_success ls
    left join last_failure lf on true
    cross join ploomes_sync.state s
   where s.singleton
$$;

create or replace view public.sync_health with (security_invoker = true) as
  select h.* from ploomes_sync.health() h;
comment on view public.sync_health is
  'One row: last success/failure, consecutive failures, data age, whether a pass or run is in progress, rejected deals, the line-item source, and the webhook queue (depth, oldest event).';

revoke all on function ploomes_sync.sync_triggers() from public, anon, authenticated;
revoke all on function ploomes_sync.webhook_retry_after() from public, anon, authenticated;
revoke all on function ploomes_sync.wake_webhook_drain() from public, anon, authenticated;
revoke all on function public.webhook_enqueue(bigint, text) from public, anon, authenticated;
revoke all on function public.sync_webhook_deletions(bigint, integer) from public, anon, authenticated;
revoke all on function public.sync_webhook_confirm(bigint, bigint[], bigint[]) from public, anon, authenticated;
revoke all on function ploomes_sync.clear_served_webhook_events() from public, anon, authenticated;
revoke all on function ploomes_sync.continue_partial_pass() from public, anon, authenticated;
revoke all on function public.sync_claim(text, text, boolean, integer, numeric, integer, text) from public, anon, authenticated;
revoke all on function ploomes_sync.health() from public, anon, authenticated;
grant execute on function ploomes_sync.sync_triggers() to service_role;
grant execute on function public.webhook_enqueue(bigint, text) to service_role;
grant execute on function public.sync_webhook_deletions(bigint, integer) to service_role;
grant execute on function public.sync_webhook_confirm(bigint, bigint[], bigint[]) to service_role;
grant execute on function public.sync_claim(text, text, boolean, integer, numeric, integer, text) to service_role;
grant execute on function ploomes_sync.health() to authenticated, service_role;
revoke all on public.sync_health from anon, authenticated;
grant select on public.sync_health to authenticated, service_role;
