-- Finishing a pass, hardened (docs/operations.md, "Mass-delete guard"):
-- * a full pass that would delete more than SYNC_MAX_DELETE_RATIO of the mirrored deals stops
--   before deleting or publishing anything, with a hint; public.sync_allow_mass_delete() lets
--   the next completed full pass through;
-- * rejected deals that a complete full pass did not see leave ploomes_sync.rejected_deals;
-- * customers whose totals would overflow customer_sales are reported on the run.

alter table ploomes_sync.state add column if not exists mass_delete_allowed_at timestamptz;
comment on column ploomes_sync.state.mass_delete_allowed_at is
  'Set by public.sync_allow_mass_delete(): the next completed full pass may delete more than SYNC_MAX_DELETE_RATIO of the mirror; cleared by that pass.';

-- The operator's confirmation, callable from the SQL editor (postgres) or with the service key.
create or replace function public.sync_allow_mass_delete() returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_now timestamptz := clock_timestamp();
begin
  update ploomes_sync.state set mass_delete_allowed_at = v_now where singleton;
  return jsonb_build_object('allowedAt', ploomes_sync.iso_utc(v_now),
    'note', 'the next completed full pass may delete more than SYNC_MAX_DELETE_RATIO of the mirrored deals; run one with select public.trigger_customer_sales_sync(''full'');');
end
$$;
comment on function public.sync_allow_mass_delete() is
  'Allows the next completed full pass to delete more than SYNC_MAX_DELETE_RATIO of the mirrored deals (once).';

drop function if exists public.sync_finish_pass(bigint, jsonb, numeric);

create or replace function public.sync_finish_pass(
  p_run_id bigint,
  p_client jsonb default '{}'::jsonb,
  p_max_reject_ratio numeric default 0.01,
  p_max_delete_ratio numeric default 0.1
) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_now timestamptz := clock_timestamp();
  v_run ploomes_sync.runs;
  v_pass ploomes_sync.passes;
  v_targets bigint[];
  v_state ploomes_sync.state;
  v_deleted_deals integer := 0;
  v_mirrored integer;
  v_doomed integer;
  v_base integer;
  v_warnings jsonb := '[]'::jsonb;
  v_result record;
begin
  if p_max_delete_ratio is null or p_max_delete_ratio < 0 or p_max_delete_ratio > 1 then
    raise exception 'p_max_delete_ratio must be between 0 and 1' using errcode = '22023';
  end if;
  v_state := ploomes_sync.lock_state_for_run(p_run_id);
  perform ploomes_sync.apply_client_stats(p_run_id, p_client);
  select * into strict v_run from ploomes_sync.runs r where r.id = p_run_id;

  if v_run.dry_run then
    update ploomes_sync.runs set status = 'succeeded', finished_at = v_now, http_status = 200 where id = p_run_id;
    perform ploomes_sync.release_lease(p_run_id);
    return ploomes_sync.run_summary(p_run_id);
  end if;

  select * into strict v_pass from ploomes_sync.passes p where p.id = v_run.pass_id;

  -- Rule: too many deals failing validation fails the pass, so a schema drift in Ploomes cannot
  -- silently publish partial metrics or move the cursor past the rejected deals. The share is
  -- taken of the pass's deals or of the mirror, whichever is larger: one bad deal in a small
  -- incremental pass is one rejected deal (it is listed in rejected_deals), not a failed sync.
  -- (The mirror is counted only when there are rejects: a clean incremental finish stays O(changes).)
  if v_pass.deals_rejected > 0 then
    v_base := greatest(v_pass.deals_seen + v_pass.deals_rejected, (select count(*)::integer from ploomes_sync.deals));
  end if;
  if v_pass.deals_rejected > 0 and v_pass.deals_rejected::numeric / v_base > p_max_reject_ratio then
    update ploomes_sync.passes set status = 'failed', finished_at = v_now where id = v_pass.id;
    update ploomes_sync.state set current_pass_id = null where singleton;
    update ploomes_sync.runs
       set status = 'failed', finished_at = v_now, http_status = 502,
           error = format('%s of %s deals failed validation (%s%%), above SYNC_MAX_REJECT_RATIO = %s',
                          v_pass.deals_rejected, v_base, round(100 * v_pass.deals_rejected::numeric / v_base, 2),
                          p_max_reject_ratio),
           error_hint = 'Nothing was published and the cursor did not move. The rejected deals, the field and the reason are in ploomes_sync.rejected_deals (select * from ploomes_sync.rejected_deals order by last_seen_at desc). Fix the deals in Ploomes; if Ploomes changed a field for all deals, update supabase/functions/_shared/ploomes/deal-schema.ts.'
     where id = p_run_id;
    perform ploomes_sync.release_lease(p_run_id);
    return ploomes_sync.run_summary(p_run_id);
  end if;

  if v_pass.mode = 'full' then
    -- Rule: never delete en masse by surprise. A complete pass that would sweep more than
    -- p_max_delete_ratio of the mirror stops here — nothing deleted, nothing published, cursor
    -- unchanged — until an operator allows it once (sync_allow_mass_delete). The first full pass
    -- ever and an empty mirror have nothing to protect.
    select count(*)::integer, count(*) filter (where d.seen_pass_id <> v_pass.id)::integer
      into v_mirrored, v_doomed
      from ploomes_sync.deals d;
    if v_doomed > 0 and v_state.last_full_pass_at is not null
       and v_doomed::numeric / v_mirrored > p_max_delete_ratio then
      if v_state.mass_delete_allowed_at is null then
        update ploomes_sync.passes set status = 'failed', finished_at = v_now where id = v_pass.id;
        update ploomes_sync.state set current_pass_id = null where singleton;
        update ploomes_sync.runs
           set status = 'failed', finished_at = v_now, http_status = 502,
               error = format('this full pass would delete %s of the %s mirrored deals (%s%%), above SYNC_MAX_DELETE_RATIO = %s',
                              v_doomed, v_mirrored, round(100 * v_doomed::numeric / v_mirrored, 1), p_max_delete_ratio),
               error_hint = 'Nothing was deleted or published and the cursor did not move. If Ploomes short-changed the pass, the run''s warnings say how (empty or short pages, ignored nextLinks); check PLOOMES_BASE_URL and PLOOMES_API_KEY. If these deals really are gone from Ploomes, allow it once in SQL: select public.sync_allow_mass_delete(); then run a full pass: select public.trigger_customer_sales_sync(''full'');'
         where id = p_run_id;
        perform ploomes_sync.release_lease(p_run_id);
        return ploomes_sync.run_summary(p_run_id);
      end if;
      v_warnings := v_warnings || to_jsonb(format(
        'deleted %s of %s mirrored deals, above SYNC_MAX_DELETE_RATIO = %s, as allowed by sync_allow_mass_delete() at %s',
        v_doomed, v_mirrored, p_max_delete_ratio, ploomes_sync.iso_utc(v_state.mass_delete_allowed_at)));
    end if;

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
    -- Rejects this complete pass did not see are deals Ploomes no longer has.
    delete from ploomes_sync.rejected_deals r where r.seen_pass_id is distinct from v_pass.id;
    -- An allowance is good for one completed full pass.
    update ploomes_sync.state set last_full_pass_at = v_pass.started_at, mass_delete_allowed_at = null where singleton;
  else
    with taken as (delete from ploomes_sync.dirty_customers returning customer_id)
    select coalesce(array_agg(customer_id), '{}') into v_targets from taken;
    select * into v_result from ploomes_sync.recompute_customers(v_targets, false, v_now);
  end if;
  if cardinality(v_result.overflowed) > 0 then
    v_warnings := v_warnings || to_jsonb(format(
      '%s customer(s) not updated because their totals do not fit numeric(15,2) (10^13): %s; check the amounts of their deals in Ploomes',
      cardinality(v_result.overflowed), array_to_string(v_result.overflowed[1:20], ', ')));
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
         customers_unchanged = v_result.unchanged, warnings = warnings || v_warnings
   where id = p_run_id;
  perform ploomes_sync.release_lease(p_run_id);
  return ploomes_sync.run_summary(p_run_id);
end
$$;

comment on function public.sync_finish_pass(bigint, jsonb, numeric, numeric) is
  'Sync API: completes the pass — mass-delete guard, sweep deleted deals (full), recompute touched customers, refresh days_since, move the cursor, close the run, release the lease.';

revoke all on function public.sync_allow_mass_delete() from public, anon, authenticated;
revoke all on function public.sync_finish_pass(bigint, jsonb, numeric, numeric) from public, anon, authenticated;
grant execute on function public.sync_allow_mass_delete() to service_role;
grant execute on function public.sync_finish_pass(bigint, jsonb, numeric, numeric) to service_role;
