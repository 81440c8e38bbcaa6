-- Storing a page in O(page) (docs/architecture.md, "Full passes in Id ranges"). A full pass walks
-- the Id space in ranges, each keyset-paged on its own. A full-pass page for Ids in (a, b] —
-- a = where its range stood, b = the page's last Id — proves which mirrored deals of (a, b] are
-- gone: those the page did not carry. They are staged in ploomes_sync.pass_gone and deleted only
-- when the pass completes and passes the mass-delete guard. So a page writes what changed and
-- what is gone, and no longer stamps every row it saw (which made each full pass rewrite the
-- whole mirror); no statement in the page path scans the mirror.

create table if not exists ploomes_sync.pass_gone (
  pass_id bigint not null references ploomes_sync.passes (id) on delete cascade,
  deal_id bigint not null,
  primary key (pass_id, deal_id)
);
comment on table ploomes_sync.pass_gone is
  'Mirrored deals a full pass proved gone from Ploomes (inside a span of Ids it paged, not on the page); deleted when the pass completes.';
revoke all on ploomes_sync.pass_gone from public, anon, authenticated;
grant select, insert, update, delete on ploomes_sync.pass_gone to service_role;
alter table ploomes_sync.pass_gone enable row level security;

-- Seen-stamps are no longer how a pass finds deleted deals; their index only slowed every write.
drop index if exists ploomes_sync.deals_seen_pass_id_idx;

-- A full pass in progress was stamping rows, not staging gone deals: it starts again in ranges
-- (its stored pages stay in the mirror, so this costs requests, never data).
update ploomes_sync.passes p
   set status = 'abandoned', finished_at = now()
 where p.status = 'in_progress' and p.mode = 'full';
update ploomes_sync.state s
   set current_pass_id = null
 where s.singleton
   and not exists (select 1 from ploomes_sync.passes p where p.id = s.current_pass_id and p.status = 'in_progress');

-- store_deals without the seen-stamp (the upsert still writes only changed rows).
create or replace function ploomes_sync.store_deals(p_pass_id bigint, p_dry_run boolean, p_deals jsonb, p_now timestamptz)
returns table (stored integer, inserted integer, updated integer)
language plpgsql
set search_path = ''
as $$
declare
  v_ids bigint[];
begin
  select coalesce(array_agg(i.deal_id), '{}') into v_ids from ploomes_sync.parse_deals(p_deals) i;
  stored := cardinality(v_ids);

  if p_dry_run then
    select count(*) filter (where m.deal_id is null),
           count(*) filter (where m.deal_id is not null and m.last_update_date <= i.last_update_date
             and ploomes_sync.deal_values(m.contact_id, m.contact_name, m.contact_display_name, m.contact_type_id,
                   m.contact_cnpj, m.contact_cpf, m.status_id, m.amount, m.create_date, m.finish_date,
                   m.last_update_date, m.line_items)
                 is distinct from
                 ploomes_sync.deal_values(i.contact_id, i.contact_name, i.contact_display_name, i.contact_type_id,
                   i.contact_cnpj, i.contact_cpf, i.status_id, i.amount, i.create_date, i.finish_date,
                   i.last_update_date, coalesce(i.line_items, m.line_items)))
      into inserted, updated
      from ploomes_sync.parse_deals(p_deals) i left join ploomes_sync.deals m on m.deal_id = i.deal_id;
    return next;
    return;
  end if;

  with previous as (
    select m.deal_id, m.contact_id from ploomes_sync.deals m where m.deal_id = any (v_ids)
  ),
  written as (
    insert into ploomes_sync.deals as m (
      deal_id, contact_id, contact_name, contact_display_name, contact_type_id, contact_cnpj, contact_cpf,
      status_id, amount, create_date, finish_date, last_update_date, last_update_raw, line_items, seen_pass_id, synced_at)
    select i.deal_id, i.contact_id, i.contact_name, i.contact_display_name, i.contact_type_id, i.contact_cnpj,
           i.contact_cpf, i.status_id, i.amount, i.create_date, i.finish_date, i.last_update_date, i.last_update_raw,
           i.line_items, p_pass_id, p_now
      from ploomes_sync.parse_deals(p_deals) i
    on conflict (deal_id) do update set
      contact_id = excluded.contact_id,
      contact_name = excluded.contact_name,
      contact_display_name = excluded.contact_display_name,
      contact_type_id = excluded.contact_type_id,
      contact_cnpj = excluded.contact_cnpj,
      contact_cpf = excluded.contact_cpf,
      status_id = excluded.status_id,
      amount = excluded.amount,
      create_date = excluded.create_date,
      finish_date = excluded.finish_date,
      last_update_date = excluded.last_update_date,
      last_update_raw = excluded.last_update_raw,
      -- Line items not fetched (Ploomes refused the expansion) never erase known ones.
      line_items = coalesce(excluded.line_items, m.line_items),
      seen_pass_id = excluded.seen_pass_id,
      synced_at = excluded.synced_at
    -- Newer-than guard: a page fetched before a later one never overwrites it. Equal dates pass,
    -- since a line-item edit may not bump LastUpdateDate. Identical rows are not rewritten.
    where m.last_update_date <= excluded.last_update_date
      and ploomes_sync.deal_values(m.contact_id, m.contact_name, m.contact_display_name, m.contact_type_id,
            m.contact_cnpj, m.contact_cpf, m.status_id, m.amount, m.create_date, m.finish_date, m.last_update_date,
            m.line_items)
          is distinct from
          ploomes_sync.deal_values(excluded.contact_id, excluded.contact_name, excluded.contact_display_name,
            excluded.contact_type_id, excluded.contact_cnpj, excluded.contact_cpf, excluded.status_id, excluded.amount,
            excluded.create_date, excluded.finish_date, excluded.last_update_date,
            coalesce(excluded.line_items, m.line_items))
    returning m.deal_id, m.contact_id, (m.xmax = 0) as was_inserted
  ),
  dirty as (
    insert into ploomes_sync.dirty_customers (customer_id)
    select distinct c.customer_id from (
      select w.contact_id as customer_id from written w
      union all
      -- A deal that moved to another contact changes its former customer too.
      select p.contact_id from previous p join written w using (deal_id)
    ) c
    where c.customer_id is not null
    on conflict (customer_id) do nothing
  )
  select count(*) filter (where w.was_inserted), count(*) filter (where not w.was_inserted)
    into inserted, updated
    from written w;

  -- Ploomes now sends a version we could store: the deal is no longer rejected.
  delete from ploomes_sync.rejected_deals r where r.deal_id = any (v_ids);
  return next;
end
$$;

-- A full pass's ranges from its position. {"ranges": [...]} is what the Edge Function stores;
-- {"lastId": n} (no p_range) is the one-range form — a sequential walk of the whole Id space —
-- which SQL callers may use; no position yet is the whole Id space, not started.
create or replace function ploomes_sync.pass_ranges(p_position jsonb) returns jsonb
language sql immutable
set search_path = ''
as $$
  select case
           when p_position ? 'ranges' then p_position -> 'ranges'
           when p_position ? 'lastId' then jsonb_build_array(jsonb_build_object('from', null, 'to', null, 'after', p_position -> 'lastId'))
           else '[{"from": null, "to": null, "after": null}]'::jsonb
         end
$$;

-- The Ids of a full-pass page's span (a, b] that the mirror has but the page did not carry:
-- staged as gone. Raises when the span does not continue the range where it stood, since a
-- wrong span would stage deals that exist.
create or replace function ploomes_sync.stage_gone_deals(
  p_pass ploomes_sync.passes,
  p_range integer,
  p_position jsonb,
  p_seen bigint[]
) returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_range jsonb := ploomes_sync.pass_ranges(p_position) -> coalesce(p_range, 0);
  v_stored jsonb := case when p_pass.position is not null then ploomes_sync.pass_ranges(p_pass.position) -> coalesce(p_range, 0) end;
  v_after bigint;
  v_through bigint;
  v_staged integer;
begin
  if v_range is null or jsonb_typeof(v_range -> 'after') is distinct from 'number' then
    raise exception 'a full-pass page needs p_position.ranges[p_range].after, or p_position.lastId (got range %, position %)',
      coalesce(p_range::text, 'null'), left(p_position::text, 200) using errcode = '22023';
  end if;
  if v_stored is not null and (v_stored -> 'from', v_stored -> 'to') is distinct from (v_range -> 'from', v_range -> 'to') then
    raise exception 'range % of pass % is (%, %], not (%, %]', p_range, p_pass.id,
      v_stored -> 'from', v_stored -> 'to', v_range -> 'from', v_range -> 'to' using errcode = '22023';
  end if;
  -- Where the range stood: its last stored Id, else its lower bound (null = the start).
  v_after := coalesce((v_stored ->> 'after')::bigint, (v_range ->> 'from')::bigint);
  v_through := (v_range ->> 'after')::bigint;
  if v_after is not null and v_through <= v_after then
    raise exception 'range % of pass % would move back from Id % to Id %', p_range, p_pass.id, v_after, v_through
      using errcode = '22023';
  end if;
  insert into ploomes_sync.pass_gone (pass_id, deal_id)
  select p_pass.id, m.deal_id
    from ploomes_sync.deals m
   where (v_after is null or m.deal_id > v_after) and m.deal_id <= v_through
     and m.deal_id <> all (p_seen)
  on conflict do nothing;
  get diagnostics v_staged = row_count;
  return v_staged;
end
$$;

drop function if exists public.sync_ingest_page(bigint, jsonb, jsonb, jsonb, jsonb, jsonb, integer);
create or replace function public.sync_ingest_page(
  p_run_id bigint,
  p_deals jsonb,          -- [{id, contact_id, contact_name, contact_display_name, contact_type_id, contact_cnpj,
                          --   contact_cpf, status_id, amount, create_date, finish_date, last_update_date,
                          --   last_update_raw, line_items}]
  p_position jsonb,       -- the pass position after this page: {"ranges": [{from, to, after}]} for a
                          -- full pass, {"lastUpdateDate", "lastId"} for an incremental one
  p_rejects jsonb default '[]'::jsonb,   -- [{id, field, reason}] found by the Edge Function's validation
  p_warnings jsonb default '[]'::jsonb,  -- ["..."]: how Ploomes paged (kept once per run)
  p_client jsonb default '{}'::jsonb,
  p_lease_seconds integer default 60,
  p_range integer default null           -- full pass: the index of the range this page belongs to
) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_now timestamptz := clock_timestamp();
  v_run ploomes_sync.runs;
  v_pass ploomes_sync.passes;
  v_result record;
  v_stored integer := 0;
  v_inserted integer := 0;
  v_updated integer := 0;
  v_deal jsonb;
  v_rejects jsonb := coalesce(p_rejects, '[]'::jsonb);
  v_reject_ids bigint[];
  v_seen bigint[];
  v_counted jsonb[] := array[]::jsonb[];
begin
  if jsonb_typeof(p_deals) is distinct from 'array' then
    raise exception 'p_deals must be a JSON array' using errcode = '22023';
  end if;
  if jsonb_typeof(v_rejects) is distinct from 'array' or jsonb_typeof(coalesce(p_warnings, '[]'::jsonb)) is distinct from 'array' then
    raise exception 'p_rejects and p_warnings must be JSON arrays' using errcode = '22023';
  end if;
  perform ploomes_sync.lock_state_for_run(p_run_id);
  select * into strict v_run from ploomes_sync.runs r where r.id = p_run_id;

  begin
    select * into strict v_result from ploomes_sync.store_deals(v_run.pass_id, v_run.dry_run, p_deals, v_now);
    v_stored := v_result.stored; v_inserted := v_result.inserted; v_updated := v_result.updated;
  exception when others then
    -- Rule: a row the database refuses is rejected alone, never its page. Row by row, each in
    -- its own subtransaction, to find it (only on this rare path; a good page is one statement).
    -- A deal repeated in the page is stored once per version (the newer-than guard keeps the
    -- latest) but counted once, as the one-statement path counts it.
    for v_deal in select e.value from jsonb_array_elements(p_deals) e loop
      begin
        select * into strict v_result from ploomes_sync.store_deals(v_run.pass_id, v_run.dry_run, jsonb_build_array(v_deal), v_now);
        if not coalesce(v_deal -> 'id' = any (v_counted), false) then
          v_counted := v_counted || (v_deal -> 'id');
          v_stored := v_stored + v_result.stored; v_inserted := v_inserted + v_result.inserted; v_updated := v_updated + v_result.updated;
        end if;
      exception when others then
        v_rejects := v_rejects || jsonb_build_array(jsonb_build_object(
          'id', case when jsonb_typeof(v_deal -> 'id') = 'number' then v_deal -> 'id' end,
          'field', '(row)',
          'reason', ploomes_sync.refusal_reason(sqlstate, sqlerrm)));
      end;
    end loop;
  end;

  select coalesce(array_agg(distinct (r.value ->> 'id')::bigint), '{}') into v_reject_ids
    from jsonb_array_elements(v_rejects) r
   where case when jsonb_typeof(r.value -> 'id') = 'number' then (r.value ->> 'id') ~ '^[0-9]{1,18}$' else false end;

  if not v_run.dry_run then
    select * into strict v_pass from ploomes_sync.passes p where p.id = v_run.pass_id;
    if v_pass.mode = 'full' then
      -- Every Id the page carried, stored or rejected: a rejected deal still exists in Ploomes.
      select coalesce(array_agg((e.value ->> 'id')::bigint), '{}') || v_reject_ids into v_seen
        from jsonb_array_elements(p_deals) e
       where case when jsonb_typeof(e.value -> 'id') = 'number' then (e.value ->> 'id') ~ '^[0-9]{1,18}$' else false end;
      perform ploomes_sync.stage_gone_deals(v_pass, p_range, p_position, v_seen);
    end if;

    insert into ploomes_sync.rejected_deals as x (deal_id, field, reason, first_seen_at, last_seen_at, last_run_id, seen_pass_id)
    select distinct on ((r.value ->> 'id')::bigint)
           (r.value ->> 'id')::bigint, left(coalesce(r.value ->> 'field', '(deal)'), 200),
           left(coalesce(r.value ->> 'reason', 'invalid'), 500), v_now, v_now, p_run_id, v_run.pass_id
      from jsonb_array_elements(v_rejects) r
     -- A reject without a usable Id is counted on the run only: there is no deal to name.
     where case when jsonb_typeof(r.value -> 'id') = 'number' then (r.value ->> 'id') ~ '^[0-9]{1,18}$' else false end
     order by (r.value ->> 'id')::bigint
    on conflict (deal_id) do update set
      field = excluded.field, reason = excluded.reason, last_seen_at = excluded.last_seen_at,
      last_run_id = excluded.last_run_id, seen_pass_id = excluded.seen_pass_id;

    update ploomes_sync.passes p
       set position = p_position, pages = p.pages + 1, deals_seen = p.deals_seen + v_stored,
           deals_rejected = p.deals_rejected + jsonb_array_length(v_rejects)
     where p.id = v_run.pass_id;
  end if;

  update ploomes_sync.runs r
     set pages = r.pages + 1,
         deals_fetched = r.deals_fetched + v_stored,
         deals_rejected = r.deals_rejected + jsonb_array_length(v_rejects),
         rejects = (select coalesce(jsonb_agg(x.value), '[]'::jsonb) from (
                      select e.value from jsonb_array_elements(r.rejects || v_rejects) with ordinality e(value, n)
                       order by e.n limit ploomes_sync.max_logged_rejects()) x),
         warnings = r.warnings || coalesce((
                      select jsonb_agg(distinct w.value) from jsonb_array_elements(coalesce(p_warnings, '[]'::jsonb)) w
                       where jsonb_typeof(w.value) = 'string' and not r.warnings @> jsonb_build_array(w.value)), '[]'::jsonb)
   where r.id = p_run_id;
  perform ploomes_sync.apply_client_stats(p_run_id, p_client);
  perform ploomes_sync.extend_lease(p_lease_seconds, v_now);

  return jsonb_build_object('stored', v_stored, 'inserted', v_inserted, 'updated', v_updated,
                            'unchanged', v_stored - v_inserted - v_updated, 'rejected', jsonb_array_length(v_rejects));
end
$$;

comment on function public.sync_ingest_page(bigint, jsonb, jsonb, jsonb, jsonb, jsonb, integer, integer) is
  'Sync API: stores one page of deals in the mirror (newer-than guard; a row the database refuses is rejected alone), stages the deals a full-pass page proves gone, records and heals rejected deals, marks touched customers for recompute, saves the pass position and extends the lease, in one transaction.';

revoke all on function ploomes_sync.pass_ranges(jsonb) from public, anon, authenticated;
grant execute on function ploomes_sync.pass_ranges(jsonb) to service_role;
revoke all on function ploomes_sync.stage_gone_deals(ploomes_sync.passes, integer, jsonb, bigint[]) from public, anon, authenticated;
revoke all on function public.sync_ingest_page(bigint, jsonb, jsonb, jsonb, jsonb, jsonb, integer, integer) from public, anon, authenticated;
grant execute on function ploomes_sync.stage_gone_deals(ploomes_sync.passes, integer, jsonb, bigint[]) to service_role;
grant execute on function public.sync_ingest_page(bigint, jsonb, jsonb, jsonb, jsonb, jsonb, integer, integer) to service_role;
