-- The sync's SQL API, part 1: claiming the lease and deciding which pass a run works on.
-- Called by the Edge Function through supabase-js .rpc(); each call is one transaction.
-- Only service_role may execute (see the grants at the end).

create or replace function ploomes_sync.iso_utc(p_at timestamptz) returns text
language sql immutable
set search_path = ''
as $$ select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- Raises unless p_run_id holds the lease; returns the locked state row. Every write of a run goes
-- through this, so a run whose lease was taken over can no longer touch anything.
create or replace function ploomes_sync.lock_state_for_run(p_run_id bigint) returns ploomes_sync.state
language plpgsql
set search_path = ''
as $$
declare
  v_state ploomes_sync.state;
begin
  select * into strict v_state from ploomes_sync.state s where s.singleton for update;
  if v_state.lease_run_id is distinct from p_run_id then
    raise exception 'run % no longer holds the sync lease (held by %)', p_run_id, coalesce(v_state.lease_run_id::text, 'nobody')
      using errcode = 'PT409',
            hint = 'Its lease expired without a heartbeat and another run took over; this run stops without writing.';
  end if;
  return v_state;
end
$$;

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
  if p_trigger is null or p_trigger not in ('cron', 'continue', 'manual', 'cli') then
    raise exception 'invalid trigger %', coalesce(p_trigger, 'null') using errcode = '22023', hint = 'use cron, continue, manual or cli';
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

  if v_pass.id is not null and v_pass.status = 'in_progress' and v_requested in ('auto', v_pass.mode) then
    v_resumed := true;
  else
    if v_pass.id is not null and v_pass.status = 'in_progress' then
      -- An explicit request for the other mode replaces the pass; its stored pages stay valid and
      -- its pending recomputes stay in dirty_customers, so nothing is lost.
      update ploomes_sync.passes set status = 'abandoned', finished_at = v_now where id = v_pass.id;
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
    'since', ploomes_sync.iso_utc(v_pass.since), 'passStartedAt', ploomes_sync.iso_utc(v_pass.started_at));
end
$$;

comment on function public.sync_claim(text, text, boolean, integer, numeric, integer, text) is
  'Sync API: records a run and claims the one-at-a-time lease (taking over an expired one), then resumes the pass in progress or starts one. Returns {claimed:false} when another run holds the lease.';

revoke all on function ploomes_sync.iso_utc(timestamptz) from public, anon, authenticated;
revoke all on function ploomes_sync.lock_state_for_run(bigint) from public, anon, authenticated;
revoke all on function public.sync_claim(text, text, boolean, integer, numeric, integer, text) from public, anon, authenticated;
grant execute on function ploomes_sync.iso_utc(timestamptz) to service_role;
grant execute on function ploomes_sync.lock_state_for_run(bigint) to service_role;
grant execute on function public.sync_claim(text, text, boolean, integer, numeric, integer, text) to service_role;
