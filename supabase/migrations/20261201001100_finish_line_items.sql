-- Finishing a pass with line items from orders or quotes (docs/architecture.md, "Finishing a
-- pass"; docs/metrics.md, "Where line items come from"). sync_finish_pass gains, for a pass whose
-- line items come from orders or quotes, the same rules deals have:
--   guards: too many rejected documents, or a full pass that would delete too many of the
--   documents in use, fail the pass before anything is deleted or published;
--   sweep: the documents the full pass proved gone, after the deals, marking their customers;
-- and, when the pass brings a new line-item source, puts it in force once the guards pass (a
-- finishing pass always completes) and marks every customer for recompute.

alter table ploomes_sync.runs add column if not exists documents_deleted integer not null default 0;

-- A lease renewed by a finish call lasts at least this long.
create or replace function ploomes_sync.min_finish_lease_seconds() returns integer
language sql immutable set search_path = '' as $$ select 60 $$;
revoke all on function ploomes_sync.min_finish_lease_seconds() from public, anon, authenticated;
grant execute on function ploomes_sync.min_finish_lease_seconds() to service_role;

create or replace function ploomes_sync.run_summary(p_run_id bigint) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'runId', r.id, 'status', r.status, 'mode', r.mode, 'trigger', r.trigger, 'dryRun', r.dry_run, 'passId', r.pass_id,
    'resumed', r.resumed, 'pages', r.pages, 'requests', r.requests, 'retries', r.retries, 'throttledWaits', r.throttled_waits,
    'dealsFetched', r.deals_fetched, 'dealsRejected', r.deals_rejected, 'dealsDeleted', r.deals_deleted,
    'lineItemsSource', r.line_items_source, 'lineItemsReason', r.line_items_reason,
    'documentsFetched', r.documents_fetched, 'documentsDeleted', r.documents_deleted,
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
  v_deleted_documents integer := 0;
  v_lines_pass ploomes_sync.passes;
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
    if v_pass.line_items_source in ('orders', 'quotes') then
      -- The deals' reject rule, for the orders or quotes the line items come from.
      if v_pass.documents_rejected > 0 then
        v_base := greatest(v_pass.documents_seen + v_pass.documents_rejected,
                           (select count(*)::integer from ploomes_sync.deal_documents d where d.kind = v_pass.line_items_source));
        if v_pass.documents_rejected::numeric / v_base > p_max_reject_ratio then
          perform ploomes_sync.fail_pass_at_guard(p_run_id, v_pass.id,
            format('%s of %s %s failed validation (%s%%), above SYNC_MAX_REJECT_RATIO = %s',
                   v_pass.documents_rejected, v_base, v_pass.line_items_source,
                   round(100 * v_pass.documents_rejected::numeric / v_base, 2), p_max_reject_ratio),
            'Nothing was published and the cursor did not move. The first rejects (with "entity") and their reasons are in ploomes_sync.runs.rejects. Fix them in Ploomes; if Ploomes changed a line-item field, update supabase/functions/_shared/ploomes/document-schema.ts.');
          return ploomes_sync.run_summary(p_run_id);
        end if;
      end if;

      if v_pass.mode = 'full' then
        v_lines_pass := v_pass;
        v_lines_pass.position := v_pass.lines_position;
        perform ploomes_sync.check_ranges(v_lines_pass);
        -- Each range's tail was answered empty: the documents mirrored there are gone too.
        insert into ploomes_sync.pass_gone_documents (pass_id, kind, document_id)
        select v_pass.id, d.kind, d.document_id
          from jsonb_to_recordset(ploomes_sync.pass_ranges(v_pass.lines_position)) as r("from" bigint, "to" bigint, after bigint)
          join ploomes_sync.deal_documents d
            on d.kind = v_pass.line_items_source
           and (coalesce(r.after, r."from") is null or d.document_id > coalesce(r.after, r."from"))
           and (r."to" is null or d.document_id <= r."to")
        on conflict do nothing;
        select count(*)::integer into v_doomed from ploomes_sync.pass_gone_documents g where g.pass_id = v_pass.id;
        -- The mass-delete rule protects the documents in use: a source this pass puts in force
        -- for the first time has nothing published to protect.
        if v_doomed > 0 and v_state.line_items_source = v_pass.line_items_source then
          select count(*)::integer into v_mirrored from ploomes_sync.deal_documents d where d.kind = v_pass.line_items_source;
          if v_doomed::numeric / v_mirrored > p_max_delete_ratio then
            if v_state.mass_delete_allowed_at is null then
              perform ploomes_sync.fail_pass_at_guard(p_run_id, v_pass.id,
                format('this full pass would delete %s of the %s mirrored %s (%s%%), above SYNC_MAX_DELETE_RATIO = %s',
                       v_doomed, v_mirrored, v_pass.line_items_source, round(100 * v_doomed::numeric / v_mirrored, 1), p_max_delete_ratio),
                format('Nothing was deleted or published and the cursor did not move. If Ploomes short-changed the pass, the run''s warnings say how. If these %s really are gone from Ploomes, allow it once in SQL: select public.sync_allow_mass_delete(); then run a full pass: select public.trigger_customer_sales_sync(''full'');', v_pass.line_items_source));
              return ploomes_sync.run_summary(p_run_id);
            end if;
            v_warnings := v_warnings || to_jsonb(format(
              'deleted %s of %s mirrored %s, above SYNC_MAX_DELETE_RATIO = %s, as allowed by sync_allow_mass_delete() at %s',
              v_doomed, v_mirrored, v_pass.line_items_source, p_max_delete_ratio, ploomes_sync.iso_utc(v_state.mass_delete_allowed_at)));
          end if;
        end if;
      end if;
    end if;

    -- A new line-item source is in force from here (past the guards a finish always completes):
    -- every customer's product metrics change, so every customer is recomputed.
    if v_pass.line_items_source is not null and v_pass.line_items_source <> v_state.line_items_source then
      -- (Nothing was published before the first full pass: no news to tell.)
      v_warnings := v_warnings || case when v_state.last_full_pass_at is null then '[]'::jsonb else to_jsonb(format('line items now come from %s (before: %s), so every customer is recomputed: %s',
        v_pass.line_items_source, v_state.line_items_source, coalesce(v_pass.line_items_reason, 'as configured'))) end;
      insert into ploomes_sync.dirty_customers (customer_id)
      select d.contact_id from ploomes_sync.deals d where d.contact_id is not null
      union
      select c.customer_id from public.customer_sales c
      on conflict (customer_id) do nothing;
    end if;
    if v_pass.line_items_source is not null
       and (v_pass.mode = 'full' or v_pass.line_items_source <> v_state.line_items_source) then
      update ploomes_sync.state
         set line_items_source = v_pass.line_items_source, line_items_reason = v_pass.line_items_reason,
             line_items_decided_at = v_pass.started_at
       where singleton;
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
      if v_doomed = 0 then
        -- Then the gone orders or quotes, marking the customers of their deals.
        with batch as (
          delete from ploomes_sync.pass_gone_documents g
           where g.pass_id = v_pass.id
             and (g.kind, g.document_id) in (select x.kind, x.document_id from ploomes_sync.pass_gone_documents x
                                              where x.pass_id = v_pass.id
                                              order by x.kind, x.document_id limit ploomes_sync.sweep_chunk())
          returning g.kind, g.document_id
        ),
        swept as (
          delete from ploomes_sync.deal_documents d using batch b
           where d.kind = b.kind and d.document_id = b.document_id returning d.deal_id
        ),
        marked as (
          insert into ploomes_sync.dirty_customers (customer_id)
          select distinct dl.contact_id from ploomes_sync.deals dl join swept s on s.deal_id = dl.deal_id
           where dl.contact_id is not null
          on conflict (customer_id) do nothing
        )
        select (select count(*)::integer from batch), (select count(*)::integer from swept) into v_doomed, v_swept;
        v_deleted_documents := v_deleted_documents + v_swept;
        if v_doomed = 0 then v_pass.finish_phase := 'recompute'; end if;
      end if;

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
     set deals_deleted = r.deals_deleted + v_deleted_deals, documents_deleted = r.documents_deleted + v_deleted_documents,
         customers_inserted = r.customers_inserted + v_inserted, customers_updated = r.customers_updated + v_updated,
         customers_deleted = r.customers_deleted + v_deleted, customers_unchanged = r.customers_unchanged + v_unchanged,
         warnings = r.warnings || v_warnings
   where r.id = p_run_id;

  if not v_published then
    update ploomes_sync.passes
       set finish_phase = v_pass.finish_phase, finish_at = v_pass.finish_at, refresh_after = v_pass.refresh_after
     where id = v_pass.id;
    -- A finish that takes many calls keeps its lease, renewed for as long as the run last asked.
    perform ploomes_sync.extend_lease(
      greatest(ploomes_sync.min_finish_lease_seconds(),
               ceil(extract(epoch from v_state.lease_expires_at - v_state.lease_heartbeat_at))::integer),
      clock_timestamp());
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
  'Sync API: finishes the pass in slices — guards (deals, and the orders or quotes line items come from), sweep of gone deals and documents (full), a new line-item source put in force, recompute of touched customers, refresh of every row, then cursor, run and lease. Answers status running (with "finishing") until published: call it again.';

-- sync_health names the line-item source in force and why (the view's columns come from the
-- function's result, which gains columns: rebuild both, with the same grants).
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
  line_items_decided_at timestamptz
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
         s.line_items_decided_at
    from last_success ls
    left join last_failure lf on true
    cross join ploomes_sync.state s
   where s.singleton
$$;

create or replace view public.sync_health with (security_invoker = true) as
  select h.* from ploomes_sync.health() h;

comment on view public.sync_health is
  'Health of the Ploomes sync for dashboards: last success/failure, error and hint, consecutive failures, data age, deals currently rejected, where line items come from and why.';

revoke all on function ploomes_sync.health() from public, anon, authenticated;
grant execute on function ploomes_sync.health() to authenticated, service_role;
revoke all on public.sync_health from anon, authenticated;
grant select on public.sync_health to authenticated, service_role;
