-- Finishing a pass in steps of bounded work (docs/architecture.md, "Finishing a pass"). A finish
-- used to be one statement whose cost grew with the account — sweep, recompute of every
-- customer, refresh of every row — past service_role's 8 s statement timeout from some hundreds
-- of thousands of deals, after which nothing would ever be published again. Now
-- sync_finish_pass does a slice of work per call (about FINISH_SLICE_MS) and answers `running`
-- until the pass is published; the Edge Function calls it again, and a run whose time budget
-- ends mid-finish leaves the pass to the continuation, which resumes the finish.
--   1. guards (first call): too many rejects, or a full pass that would delete too much, fail
--      the pass before anything is deleted or published;
--   2. sweep (full passes): deletes the staged gone deals, marking their customers for recompute;
--   3. recompute: the customers marked dirty (by changed deals, swept deals or an earlier pass),
--      a chunk at a time: O(changes), not O(customers);
--   4. refresh: last_sync_at and days_since_last_purchase of every row, a chunk at a time;
--   5. publish: cursor, run figures, lease.
-- Each customer row is always written whole; while a finish runs, rows already refreshed carry
-- the new last_sync_at and the others the previous one.

alter table ploomes_sync.passes add column if not exists finish_phase text
  check (finish_phase in ('sweep', 'recompute', 'refresh'));
alter table ploomes_sync.passes add column if not exists finish_at timestamptz;
alter table ploomes_sync.passes add column if not exists refresh_after bigint;
comment on column ploomes_sync.passes.finish_phase is
  'Set once the pass is finishing (guards passed): the step sync_finish_pass works on next. A finishing pass is always resumed.';
comment on column ploomes_sync.passes.finish_at is
  'The time the finish began: every refreshed row gets it as last_sync_at.';
comment on column ploomes_sync.passes.refresh_after is
  'The refresh step''s keyset position in customer_sales (customer_id).';

-- Work per finish call, and per chunk. A chunk stays well under a second with 1 000 000 deals and
-- 100 000 customers (npm run bench, finish1M); a call stops starting chunks after the slice.
create or replace function ploomes_sync.finish_slice() returns interval
language sql immutable set search_path = '' as $$ select interval '300 milliseconds' $$;
create or replace function ploomes_sync.sweep_chunk() returns integer
language sql immutable set search_path = '' as $$ select 5000 $$;
create or replace function ploomes_sync.recompute_chunk() returns integer
language sql immutable set search_path = '' as $$ select 1000 $$;
create or replace function ploomes_sync.refresh_chunk() returns integer
language sql immutable set search_path = '' as $$ select 10000 $$;

-- The ranges of a full pass must cover the whole Id space, or the deals between them would be
-- neither read nor swept.
create or replace function ploomes_sync.check_ranges(p_pass ploomes_sync.passes) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_gaps integer;
begin
  if jsonb_typeof(ploomes_sync.pass_ranges(p_pass.position)) is distinct from 'array' then
    raise exception 'full pass % has no Id ranges in its position (%)', p_pass.id, left(coalesce(p_pass.position::text, 'null'), 200)
      using errcode = '22023', hint = 'A full pass stores {"ranges": [...]} with each page.';
  end if;
  select count(*) into v_gaps
    from (select (r.value ->> 'from')::numeric as lower, (r.value ->> 'to')::numeric as upper,
                 lag((r.value ->> 'to')::numeric) over (order by r.n) as previous_upper, r.n,
                 count(*) over () as total
            from jsonb_array_elements(ploomes_sync.pass_ranges(p_pass.position)) with ordinality r(value, n)) x
   -- From the start to no end, each range starting where the previous one ends, bounds increasing.
   where (x.n = 1 and x.lower is not null)
      or (x.n > 1 and (x.lower is null or x.lower is distinct from x.previous_upper))
      or (x.n = x.total and x.upper is not null)
      or (x.n < x.total and (x.upper is null or x.upper <= coalesce(x.lower, x.upper - 1)));
  if v_gaps > 0 then
    raise exception 'the Id ranges of full pass % do not cover the Id space: %', p_pass.id, left(p_pass.position::text, 300)
      using errcode = '22023';
  end if;
end
$$;

-- Fails a pass at a guard: nothing deleted or published, cursor unchanged.
create or replace function ploomes_sync.fail_pass_at_guard(p_run_id bigint, p_pass_id bigint, p_error text, p_hint text) returns void
language plpgsql
set search_path = ''
as $$
begin
  update ploomes_sync.passes set status = 'failed', finished_at = clock_timestamp() where id = p_pass_id;
  delete from ploomes_sync.pass_gone g where g.pass_id = p_pass_id;
  update ploomes_sync.state set current_pass_id = null where singleton;
  update ploomes_sync.runs
     set status = 'failed', finished_at = clock_timestamp(), http_status = 502, error = p_error, error_hint = p_hint
   where id = p_run_id;
  perform ploomes_sync.release_lease(p_run_id);
end
$$;

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
  v_started timestamptz := clock_timestamp();
  v_run ploomes_sync.runs;
  v_pass ploomes_sync.passes;
  v_state ploomes_sync.state;
  v_base integer;
  v_mirrored integer;
  v_doomed integer;
  v_ids bigint[];
  v_swept integer;
  v_result record;
  v_warnings jsonb := '[]'::jsonb;
  v_deleted_deals integer := 0;
  v_inserted integer := 0;
  v_updated integer := 0;
  v_deleted integer := 0;
  v_unchanged integer := 0;
  v_published boolean := false;
begin
  if p_max_delete_ratio is null or p_max_delete_ratio < 0 or p_max_delete_ratio > 1 then
    raise exception 'p_max_delete_ratio must be between 0 and 1' using errcode = '22023';
  end if;
  v_state := ploomes_sync.lock_state_for_run(p_run_id);
  perform ploomes_sync.apply_client_stats(p_run_id, p_client);
  select * into strict v_run from ploomes_sync.runs r where r.id = p_run_id;

  if v_run.dry_run then
    update ploomes_sync.runs set status = 'succeeded', finished_at = v_started, http_status = 200 where id = p_run_id;
    perform ploomes_sync.release_lease(p_run_id);
    return ploomes_sync.run_summary(p_run_id);
  end if;

  select * into strict v_pass from ploomes_sync.passes p where p.id = v_run.pass_id for update;

  if v_pass.finish_phase is null then
    -- Rule: too many deals failing validation fails the pass, so a schema drift in Ploomes cannot
    -- silently publish partial metrics or move the cursor past the rejected deals. The share is
    -- taken of the pass's deals or of the mirror, whichever is larger (the mirror is counted only
    -- when there are rejects).
    if v_pass.deals_rejected > 0 then
      v_base := greatest(v_pass.deals_seen + v_pass.deals_rejected, (select count(*)::integer from ploomes_sync.deals));
      if v_pass.deals_rejected::numeric / v_base > p_max_reject_ratio then
        perform ploomes_sync.fail_pass_at_guard(p_run_id, v_pass.id,
          format('%s of %s deals failed validation (%s%%), above SYNC_MAX_REJECT_RATIO = %s',
                 v_pass.deals_rejected, v_base, round(100 * v_pass.deals_rejected::numeric / v_base, 2), p_max_reject_ratio),
          'Nothing was published and the cursor did not move. The rejected deals, the field and the reason are in ploomes_sync.rejected_deals (select * from ploomes_sync.rejected_deals order by last_seen_at desc). Fix the deals in Ploomes; if Ploomes changed a field for all deals, update supabase/functions/_shared/ploomes/deal-schema.ts.');
        return ploomes_sync.run_summary(p_run_id);
      end if;
    end if;

    if v_pass.mode = 'full' then
      perform ploomes_sync.check_ranges(v_pass);
      -- Each range's tail — past its last stored Id, up to its upper bound — was answered empty:
      -- the mirrored deals there are gone too.
      insert into ploomes_sync.pass_gone (pass_id, deal_id)
      select v_pass.id, d.deal_id
        from jsonb_to_recordset(ploomes_sync.pass_ranges(v_pass.position)) as r("from" bigint, "to" bigint, after bigint)
        join ploomes_sync.deals d
          on (coalesce(r.after, r."from") is null or d.deal_id > coalesce(r.after, r."from"))
         and (r."to" is null or d.deal_id <= r."to")
      on conflict do nothing;
      select count(*)::integer into v_doomed from ploomes_sync.pass_gone g where g.pass_id = v_pass.id;

      -- Rule: never delete en masse by surprise. A complete pass that would delete more than
      -- p_max_delete_ratio of the mirror stops here until an operator allows it once
      -- (sync_allow_mass_delete). The first full pass ever has nothing to protect.
      if v_doomed > 0 and v_state.last_full_pass_at is not null then
        select count(*)::integer into v_mirrored from ploomes_sync.deals;
        if v_doomed::numeric / v_mirrored > p_max_delete_ratio then
          if v_state.mass_delete_allowed_at is null then
            perform ploomes_sync.fail_pass_at_guard(p_run_id, v_pass.id,
              format('this full pass would delete %s of the %s mirrored deals (%s%%), above SYNC_MAX_DELETE_RATIO = %s',
                     v_doomed, v_mirrored, round(100 * v_doomed::numeric / v_mirrored, 1), p_max_delete_ratio),
              'Nothing was deleted or published and the cursor did not move. If Ploomes short-changed the pass, the run''s warnings say how (empty or short pages, ignored nextLinks); check PLOOMES_BASE_URL and PLOOMES_API_KEY. If these deals really are gone from Ploomes, allow it once in SQL: select public.sync_allow_mass_delete(); then run a full pass: select public.trigger_customer_sales_sync(''full'');');
            return ploomes_sync.run_summary(p_run_id);
          end if;
          v_warnings := v_warnings || to_jsonb(format(
            'deleted %s of %s mirrored deals, above SYNC_MAX_DELETE_RATIO = %s, as allowed by sync_allow_mass_delete() at %s',
            v_doomed, v_mirrored, p_max_delete_ratio, ploomes_sync.iso_utc(v_state.mass_delete_allowed_at)));
        end if;
      end if;
    end if;
    v_pass.finish_phase := case v_pass.mode when 'full' then 'sweep' else 'recompute' end;
    v_pass.finish_at := v_started;
  end if;

  -- Chunks until the slice is spent (at least one per call, so every call makes progress); each
  -- chunk is one set-based statement or two.
  loop
    if v_pass.finish_phase = 'sweep' then
      with batch as (
        delete from ploomes_sync.pass_gone g
         where g.pass_id = v_pass.id
           and g.deal_id in (select x.deal_id from ploomes_sync.pass_gone x where x.pass_id = v_pass.id
                              order by x.deal_id limit ploomes_sync.sweep_chunk())
        returning g.deal_id
      ),
      swept as (
        delete from ploomes_sync.deals d using batch b where d.deal_id = b.deal_id returning d.contact_id
      ),
      marked as (
        insert into ploomes_sync.dirty_customers (customer_id)
        select distinct s.contact_id from swept s where s.contact_id is not null
        on conflict (customer_id) do nothing
      )
      select (select count(*)::integer from batch), (select count(*)::integer from swept) into v_doomed, v_swept;
      v_deleted_deals := v_deleted_deals + v_swept;
      if v_doomed = 0 then v_pass.finish_phase := 'recompute'; end if;

    elsif v_pass.finish_phase = 'recompute' then
      with taken as (
        delete from ploomes_sync.dirty_customers c
         where c.customer_id in (select x.customer_id from ploomes_sync.dirty_customers x
                                  order by x.customer_id limit ploomes_sync.recompute_chunk())
        returning c.customer_id
      )
      select coalesce(array_agg(t.customer_id), '{}') into v_ids from taken t;
      if cardinality(v_ids) = 0 then
        v_pass.finish_phase := 'refresh';
      else
        select * into v_result from ploomes_sync.recompute_customers(v_ids, false, v_pass.finish_at);
        v_inserted := v_inserted + v_result.inserted; v_updated := v_updated + v_result.updated;
        v_deleted := v_deleted + v_result.deleted; v_unchanged := v_unchanged + v_result.unchanged;
        if cardinality(v_result.overflowed) > 0 then
          v_warnings := v_warnings || to_jsonb(format(
            '%s customer(s) not updated because their totals do not fit numeric(15,2) (10^13): %s; check the amounts of their deals in Ploomes',
            cardinality(v_result.overflowed), array_to_string(v_result.overflowed[1:20], ', ')));
        end if;
      end if;

    else
      -- Refresh: every row is confirmed by the completed sync (docs/metrics.md, last_sync_at).
      select coalesce(array_agg(c.customer_id order by c.customer_id), '{}') into v_ids
        from (select x.customer_id from public.customer_sales x
               where v_pass.refresh_after is null or x.customer_id > v_pass.refresh_after
               order by x.customer_id limit ploomes_sync.refresh_chunk()) c;
      if cardinality(v_ids) = 0 then
        v_published := true;
      else
        update public.customer_sales c
           set last_sync_at = v_pass.finish_at,
               days_since_last_purchase = floor(extract(epoch from (v_pass.finish_at - c.last_purchase_date)) / 86400)::integer
         where c.customer_id = any (v_ids)
           and (c.last_sync_at, c.days_since_last_purchase) is distinct from
               (v_pass.finish_at, floor(extract(epoch from (v_pass.finish_at - c.last_purchase_date)) / 86400)::integer);
        v_pass.refresh_after := v_ids[cardinality(v_ids)];
      end if;
    end if;
    exit when v_published or clock_timestamp() - v_started >= ploomes_sync.finish_slice();
  end loop;

  update ploomes_sync.runs r
     set deals_deleted = r.deals_deleted + v_deleted_deals,
         customers_inserted = r.customers_inserted + v_inserted, customers_updated = r.customers_updated + v_updated,
         customers_deleted = r.customers_deleted + v_deleted, customers_unchanged = r.customers_unchanged + v_unchanged,
         warnings = r.warnings || v_warnings
   where r.id = p_run_id;

  if not v_published then
    update ploomes_sync.passes
       set finish_phase = v_pass.finish_phase, finish_at = v_pass.finish_at, refresh_after = v_pass.refresh_after
     where id = v_pass.id;
    perform ploomes_sync.extend_lease(greatest(60, ceil(extract(epoch from v_state.lease_expires_at - v_state.lease_heartbeat_at))::integer), clock_timestamp());
    return ploomes_sync.run_summary(p_run_id) || jsonb_build_object('finishing', v_pass.finish_phase);
  end if;

  if v_pass.mode = 'full' then
    -- Rejects this complete pass did not see are deals Ploomes no longer has.
    delete from ploomes_sync.rejected_deals r where r.seen_pass_id is distinct from v_pass.id;
    -- An allowance is good for one completed full pass.
    update ploomes_sync.state set last_full_pass_at = v_pass.started_at, mass_delete_allowed_at = null where singleton;
  end if;
  -- Signpost: the next incremental pass starts from this pass's start (minus the overlap), so
  -- changes made while it ran are read again, never skipped.
  update ploomes_sync.state set cursor = v_pass.started_at, current_pass_id = null where singleton;
  update ploomes_sync.passes
     set status = 'completed', finished_at = clock_timestamp(), finish_phase = null, refresh_after = null,
         finish_at = v_pass.finish_at
   where id = v_pass.id;
  update ploomes_sync.runs
     set status = 'succeeded', finished_at = clock_timestamp(), http_status = 200, cursor_after = v_pass.started_at
   where id = p_run_id;
  perform ploomes_sync.release_lease(p_run_id);
  return ploomes_sync.run_summary(p_run_id);
end
$$;

comment on function public.sync_finish_pass(bigint, jsonb, numeric, numeric) is
  'Sync API: finishes the pass in slices — guards, sweep of gone deals (full), recompute of touched customers, refresh of every row, then cursor, run and lease. Answers status running (with "finishing") until published: call it again.';

revoke all on function ploomes_sync.finish_slice() from public, anon, authenticated;
revoke all on function ploomes_sync.sweep_chunk() from public, anon, authenticated;
revoke all on function ploomes_sync.recompute_chunk() from public, anon, authenticated;
revoke all on function ploomes_sync.refresh_chunk() from public, anon, authenticated;
revoke all on function ploomes_sync.check_ranges(ploomes_sync.passes) from public, anon, authenticated;
revoke all on function ploomes_sync.fail_pass_at_guard(bigint, bigint, text, text) from public, anon, authenticated;
revoke all on function public.sync_finish_pass(bigint, jsonb, numeric, numeric) from public, anon, authenticated;
grant execute on function ploomes_sync.finish_slice() to service_role;
grant execute on function ploomes_sync.sweep_chunk() to service_role;
grant execute on function ploomes_sync.recompute_chunk() to service_role;
grant execute on function ploomes_sync.refresh_chunk() to service_role;
grant execute on function ploomes_sync.check_ranges(ploomes_sync.passes) to service_role;
grant execute on function ploomes_sync.fail_pass_at_guard(bigint, bigint, text, text) to service_role;
grant execute on function public.sync_finish_pass(bigint, jsonb, numeric, numeric) to service_role;

-- sync_claim: a finishing pass is resumed whatever mode is asked for (and says so: `finishing`),
-- and an abandoned pass takes its staged gone deals with it.
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
