-- The sync's SQL API, part 3: ending a run. A complete pass publishes in one transaction —
-- mark-and-sweep of deleted deals (full passes only), recompute of the touched customers, the
-- confirmation of every row (last_sync_at, days_since_last_purchase), the cursor move, the run's figures and the lease release.
-- A partial run only releases the lease; a failed run never moves the cursor or touches data.

create or replace function ploomes_sync.release_lease(p_run_id bigint) returns void
language sql
set search_path = ''
as $$
  update ploomes_sync.state
     set lease_run_id = null, lease_expires_at = null, lease_heartbeat_at = null
   where singleton and lease_run_id = p_run_id
$$;

create or replace function ploomes_sync.run_summary(p_run_id bigint) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'runId', r.id, 'status', r.status, 'mode', r.mode, 'trigger', r.trigger, 'dryRun', r.dry_run, 'passId', r.pass_id,
    'resumed', r.resumed, 'pages', r.pages, 'requests', r.requests, 'retries', r.retries, 'throttledWaits', r.throttled_waits,
    'dealsFetched', r.deals_fetched, 'dealsRejected', r.deals_rejected, 'dealsDeleted', r.deals_deleted,
    'customersInserted', r.customers_inserted, 'customersUpdated', r.customers_updated,
    'customersDeleted', r.customers_deleted, 'customersUnchanged', r.customers_unchanged,
    'customersChanged', r.customers_inserted + r.customers_updated + r.customers_deleted,
    'cursorBefore', ploomes_sync.iso_utc(r.cursor_before), 'cursorAfter', ploomes_sync.iso_utc(r.cursor_after),
    'warnings', r.warnings, 'error', r.error, 'hint', r.error_hint,
    'startedAt', ploomes_sync.iso_utc(r.started_at), 'finishedAt', ploomes_sync.iso_utc(r.finished_at))
  from ploomes_sync.runs r where r.id = p_run_id
$$;

create or replace function public.sync_finish_pass(
  p_run_id bigint,
  p_client jsonb default '{}'::jsonb,
  p_max_reject_ratio numeric default 0.01
) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_now timestamptz := clock_timestamp();
  v_run ploomes_sync.runs;
  v_pass ploomes_sync.passes;
  v_targets bigint[];
  v_deleted_deals integer := 0;
  v_result record;
begin
  perform ploomes_sync.lock_state_for_run(p_run_id);
  perform ploomes_sync.apply_client_stats(p_run_id, p_client);
  select * into strict v_run from ploomes_sync.runs r where r.id = p_run_id;

  if v_run.dry_run then
    update ploomes_sync.runs set status = 'succeeded', finished_at = v_now, http_status = 200 where id = p_run_id;
    perform ploomes_sync.release_lease(p_run_id);
    return ploomes_sync.run_summary(p_run_id);
  end if;

  select * into strict v_pass from ploomes_sync.passes p where p.id = v_run.pass_id;

  -- Rule: too many deals failing validation fails the pass, so a schema drift in Ploomes cannot
  -- silently publish partial metrics or move the cursor past the rejected deals.
  if v_pass.deals_rejected > 0
     and v_pass.deals_rejected::numeric / (v_pass.deals_seen + v_pass.deals_rejected) > p_max_reject_ratio then
    update ploomes_sync.passes set status = 'failed', finished_at = v_now where id = v_pass.id;
    update ploomes_sync.state set current_pass_id = null where singleton;
    update ploomes_sync.runs
       set status = 'failed', finished_at = v_now, http_status = 502,
           error = format('%s of %s deals failed validation (%s%%), above SYNC_MAX_REJECT_RATIO = %s',
                          v_pass.deals_rejected, v_pass.deals_seen + v_pass.deals_rejected,
                          round(100 * v_pass.deals_rejected::numeric / (v_pass.deals_seen + v_pass.deals_rejected), 2),
                          p_max_reject_ratio),
           error_hint = 'Nothing was published and the cursor did not move. The first rejects and their reasons are in ploomes_sync.runs.rejects; if Ploomes changed a field, update the schema in supabase/functions/_shared/ploomes/deal-schema.ts.'
     where id = p_run_id;
    perform ploomes_sync.release_lease(p_run_id);
    return ploomes_sync.run_summary(p_run_id);
  end if;

  if v_pass.mode = 'full' then
    -- Mark-and-sweep: only now that every page was read can an unseen deal mean "deleted".
    with swept as (
      delete from ploomes_sync.deals d where d.seen_pass_id <> v_pass.id returning d.contact_id
    ),
    marked as (
      insert into ploomes_sync.dirty_customers (customer_id)
      select distinct s.contact_id from swept s where s.contact_id is not null
      on conflict (customer_id) do nothing
    )
    select count(*) into v_deleted_deals from swept;
    select * into v_result from ploomes_sync.recompute_customers(null, true, v_now);
    delete from ploomes_sync.dirty_customers;
    update ploomes_sync.state set last_full_pass_at = v_pass.started_at where singleton;
  else
    with taken as (delete from ploomes_sync.dirty_customers returning customer_id)
    select coalesce(array_agg(customer_id), '{}') into v_targets from taken;
    select * into v_result from ploomes_sync.recompute_customers(v_targets, false, v_now);
  end if;
  perform ploomes_sync.confirm_rows(v_now);

  -- Signpost: the next incremental pass starts from this pass's start (minus the overlap), so
  -- changes made while it ran are read again, never skipped.
  update ploomes_sync.state set cursor = v_pass.started_at, current_pass_id = null where singleton;
  update ploomes_sync.passes set status = 'completed', finished_at = v_now where id = v_pass.id;
  update ploomes_sync.runs
     set status = 'succeeded', finished_at = v_now, http_status = 200, cursor_after = v_pass.started_at,
         deals_deleted = v_deleted_deals, customers_inserted = v_result.inserted,
         customers_updated = v_result.updated, customers_deleted = v_result.deleted,
         customers_unchanged = v_result.unchanged
   where id = p_run_id;
  perform ploomes_sync.release_lease(p_run_id);
  return ploomes_sync.run_summary(p_run_id);
end
$$;

-- The time budget ran out: the pages stored so far stay, the pass stays in progress at its
-- saved position, and the lease is released for the continuation.
create or replace function public.sync_end_partial(p_run_id bigint, p_client jsonb default '{}'::jsonb) returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  perform ploomes_sync.lock_state_for_run(p_run_id);
  perform ploomes_sync.apply_client_stats(p_run_id, p_client);
  update ploomes_sync.runs set status = 'partial', finished_at = clock_timestamp(), http_status = 200 where id = p_run_id;
  perform ploomes_sync.release_lease(p_run_id);
  return ploomes_sync.run_summary(p_run_id);
end
$$;

-- Records a failure. Touches neither the cursor, the mirror nor customer_sales; the pass stays in
-- progress so the next run resumes after the last stored page. Needs no lease: a run whose lease
-- was taken over is already `failed` with the takeover's reason, which this call leaves as it is
-- (and it never releases the new holder's lease).
create or replace function public.sync_fail_run(
  p_run_id bigint,
  p_error text,
  p_hint text default null,
  p_http_status integer default 500,
  p_client jsonb default '{}'::jsonb
) returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  perform 1 from ploomes_sync.state s where s.singleton for update;
  perform ploomes_sync.apply_client_stats(p_run_id, p_client);
  update ploomes_sync.runs
     set status = 'failed', finished_at = clock_timestamp(), http_status = p_http_status,
         error = left(coalesce(p_error, 'unknown error'), 2000), error_hint = left(p_hint, 1000)
   where id = p_run_id and status = 'running';
  perform ploomes_sync.release_lease(p_run_id);
  return ploomes_sync.run_summary(p_run_id);
end
$$;

-- Records an invocation that failed before it could run (e.g. a configuration error such as a
-- misnamed PLOOMES_API_KEY), so it shows up in runs and sync_health like any other failure.
-- Takes no lease and changes nothing else.
create or replace function public.sync_log_failure(
  p_trigger text,
  p_requested_mode text,
  p_error text,
  p_hint text default null,
  p_http_status integer default 500
) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_run_id bigint;
begin
  insert into ploomes_sync.runs (trigger, requested_mode, status, finished_at, http_status, error, error_hint)
  values (coalesce(p_trigger, 'manual'), coalesce(p_requested_mode, 'auto'), 'failed', clock_timestamp(), p_http_status,
          left(coalesce(p_error, 'unknown error'), 2000), left(p_hint, 1000))
  returning id into v_run_id;
  return ploomes_sync.run_summary(v_run_id);
end
$$;

-- Ploomes refused the Products expansion (403): the pass goes on without line items (known ones
-- are kept) and the run says so.
create or replace function public.sync_disable_products(p_run_id bigint, p_warning text) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_pass_id bigint;
begin
  perform ploomes_sync.lock_state_for_run(p_run_id);
  update ploomes_sync.runs r set warnings = r.warnings || to_jsonb(p_warning) where r.id = p_run_id
  returning r.pass_id into v_pass_id;
  update ploomes_sync.passes set products_available = false where id = v_pass_id;
end
$$;

comment on function public.sync_finish_pass(bigint, jsonb, numeric) is
  'Sync API: completes the pass — sweep deleted deals (full), recompute touched customers, refresh days_since, move the cursor, close the run, release the lease.';
comment on function public.sync_end_partial(bigint, jsonb) is
  'Sync API: ends a run whose time budget ran out; the pass resumes from its saved position.';
comment on function public.sync_fail_run(bigint, text, text, integer, jsonb) is
  'Sync API: records a failed run with its error and hint; never moves the cursor or changes data.';
comment on function public.sync_log_failure(text, text, text, text, integer) is
  'Sync API: records an invocation that failed before running (configuration error) as a failed run.';
comment on function public.sync_disable_products(bigint, text) is
  'Sync API: continues the pass without the Products expansion that Ploomes refused, with a warning on the run.';

revoke all on function ploomes_sync.release_lease(bigint) from public, anon, authenticated;
revoke all on function ploomes_sync.run_summary(bigint) from public, anon, authenticated;
revoke all on function public.sync_finish_pass(bigint, jsonb, numeric) from public, anon, authenticated;
revoke all on function public.sync_end_partial(bigint, jsonb) from public, anon, authenticated;
revoke all on function public.sync_fail_run(bigint, text, text, integer, jsonb) from public, anon, authenticated;
revoke all on function public.sync_disable_products(bigint, text) from public, anon, authenticated;
revoke all on function public.sync_log_failure(text, text, text, text, integer) from public, anon, authenticated;
grant execute on function ploomes_sync.release_lease(bigint) to service_role;
grant execute on function ploomes_sync.run_summary(bigint) to service_role;
grant execute on function public.sync_finish_pass(bigint, jsonb, numeric) to service_role;
grant execute on function public.sync_end_partial(bigint, jsonb) to service_role;
grant execute on function public.sync_fail_run(bigint, text, text, integer, jsonb) to service_role;
grant execute on function public.sync_disable_products(bigint, text) to service_role;
grant execute on function public.sync_log_failure(text, text, text, text, integer) to service_role;
