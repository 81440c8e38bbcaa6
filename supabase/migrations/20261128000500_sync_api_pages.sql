-- The sync's SQL API, part 2: storing one page of deals. One transaction per page stores the rows,
-- records which customers need a recompute, saves the pass's keyset position and extends the
-- lease — so a run stopped at any moment resumes exactly after its last stored page.

-- Most rejected deals kept on a run row (the count is always complete).
create or replace function ploomes_sync.max_logged_rejects() returns integer
language sql immutable
set search_path = ''
as $$ select 50 $$;

-- Client-side counters (requests, retries, throttled waits) are cumulative per run.
create or replace function ploomes_sync.apply_client_stats(p_run_id bigint, p_client jsonb) returns void
language sql
set search_path = ''
as $$
  update ploomes_sync.runs r
     set requests = coalesce((p_client ->> 'requests')::integer, r.requests),
         retries = coalesce((p_client ->> 'retries')::integer, r.retries),
         throttled_waits = coalesce((p_client ->> 'throttledWaits')::integer, r.throttled_waits),
         heartbeat_at = clock_timestamp()
   where r.id = p_run_id
$$;

-- A page of deals as rows, one per deal id (the latest version when a page repeats an id).
create or replace function ploomes_sync.parse_deals(p_deals jsonb)
returns table (
  deal_id bigint, contact_id bigint, contact_name text, contact_display_name text, contact_type_id integer,
  contact_cnpj text, contact_cpf text, status_id integer, amount numeric(15, 2), create_date timestamptz,
  finish_date timestamptz, last_update_date timestamptz, last_update_raw text, line_items jsonb)
language sql immutable
set search_path = ''
as $$
  select distinct on (d.id)
         d.id, d.contact_id, d.contact_name, d.contact_display_name, d.contact_type_id, d.contact_cnpj, d.contact_cpf,
         d.status_id, d.amount, d.create_date, d.finish_date, d.last_update_date, d.last_update_raw, d.line_items
    from jsonb_to_recordset(p_deals) as d(
           id bigint, contact_id bigint, contact_name text, contact_display_name text, contact_type_id integer,
           contact_cnpj text, contact_cpf text, status_id integer, amount numeric(15, 2), create_date timestamptz,
           finish_date timestamptz, last_update_date timestamptz, last_update_raw text, line_items jsonb)
   order by d.id, d.last_update_date desc
$$;

-- What counts as a change of a mirrored deal: one definition, used by the upsert's guard and by
-- the dry run's figures, so a dry run predicts exactly what a real run writes.
create or replace function ploomes_sync.deal_values(
  p_contact_id bigint, p_contact_name text, p_contact_display_name text, p_contact_type_id integer,
  p_contact_cnpj text, p_contact_cpf text, p_status_id integer, p_amount numeric, p_create_date timestamptz,
  p_finish_date timestamptz, p_last_update_date timestamptz, p_line_items jsonb
) returns jsonb
language sql immutable
set search_path = ''
as $$
  select jsonb_build_array(p_contact_id, p_contact_name, p_contact_display_name, p_contact_type_id, p_contact_cnpj,
                           p_contact_cpf, p_status_id, p_amount, p_create_date, p_finish_date, p_last_update_date, p_line_items)
$$;

create or replace function public.sync_ingest_page(
  p_run_id bigint,
  p_deals jsonb,          -- [{id, contact_id, contact_name, contact_display_name, contact_type_id, contact_cnpj,
                          --   contact_cpf, status_id, amount, create_date, finish_date, last_update_date,
                          --   last_update_raw, line_items}]
  p_position jsonb,       -- the keyset position after this page
  p_rejects jsonb default '[]'::jsonb,
  p_client jsonb default '{}'::jsonb,
  p_lease_seconds integer default 60
) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_now timestamptz := clock_timestamp();
  v_run ploomes_sync.runs;
  v_inserted integer := 0;
  v_updated integer := 0;
  v_count integer;
  v_rejected integer := jsonb_array_length(coalesce(p_rejects, '[]'::jsonb));
begin
  if jsonb_typeof(p_deals) is distinct from 'array' then
    raise exception 'p_deals must be a JSON array' using errcode = '22023';
  end if;
  perform ploomes_sync.lock_state_for_run(p_run_id);
  select * into strict v_run from ploomes_sync.runs r where r.id = p_run_id;

  select count(*) into v_count from ploomes_sync.parse_deals(p_deals);

  if v_run.dry_run then
    -- Count what would change; write nothing but the run's figures.
    select count(*) filter (where m.deal_id is null),
           count(*) filter (where m.deal_id is not null and m.last_update_date <= i.last_update_date
             and ploomes_sync.deal_values(m.contact_id, m.contact_name, m.contact_display_name, m.contact_type_id,
                   m.contact_cnpj, m.contact_cpf, m.status_id, m.amount, m.create_date, m.finish_date,
                   m.last_update_date, m.line_items)
                 is distinct from
                 ploomes_sync.deal_values(i.contact_id, i.contact_name, i.contact_display_name, i.contact_type_id,
                   i.contact_cnpj, i.contact_cpf, i.status_id, i.amount, i.create_date, i.finish_date,
                   i.last_update_date, coalesce(i.line_items, m.line_items)))
      into v_inserted, v_updated
      from ploomes_sync.parse_deals(p_deals) i left join ploomes_sync.deals m on m.deal_id = i.deal_id;
  else
    with previous as (
      select m.deal_id, m.contact_id from ploomes_sync.deals m join ploomes_sync.parse_deals(p_deals) i using (deal_id)
    ),
    written as (
      insert into ploomes_sync.deals as m (
        deal_id, contact_id, contact_name, contact_display_name, contact_type_id, contact_cnpj, contact_cpf,
        status_id, amount, create_date, finish_date, last_update_date, last_update_raw, line_items, seen_pass_id, synced_at)
      select i.deal_id, i.contact_id, i.contact_name, i.contact_display_name, i.contact_type_id, i.contact_cnpj,
             i.contact_cpf, i.status_id, i.amount, i.create_date, i.finish_date, i.last_update_date, i.last_update_raw,
             i.line_items, v_run.pass_id, v_now
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
      into v_inserted, v_updated
      from written w;

    -- Seen-stamps for mark-and-sweep, on rows the upsert left alone (unchanged or older) and on
    -- deals that failed validation: Ploomes still has them, so a full pass must not sweep them.
    update ploomes_sync.deals m set seen_pass_id = v_run.pass_id
     where m.seen_pass_id <> v_run.pass_id
       and (m.deal_id in (select i.deal_id from ploomes_sync.parse_deals(p_deals) i)
            or m.deal_id in (select (r.value ->> 'id')::bigint from jsonb_array_elements(coalesce(p_rejects, '[]'::jsonb)) r
                              where jsonb_typeof(r.value -> 'id') = 'number'));

    update ploomes_sync.passes p
       set position = p_position, pages = p.pages + 1, deals_seen = p.deals_seen + v_count,
           deals_rejected = p.deals_rejected + v_rejected
     where p.id = v_run.pass_id;
  end if;

  update ploomes_sync.runs r
     set pages = r.pages + 1,
         deals_fetched = r.deals_fetched + v_count,
         deals_rejected = r.deals_rejected + v_rejected,
         rejects = (select coalesce(jsonb_agg(x.value), '[]'::jsonb) from (
                      select e.value from jsonb_array_elements(r.rejects || coalesce(p_rejects, '[]'::jsonb)) with ordinality e(value, n)
                       order by e.n limit ploomes_sync.max_logged_rejects()) x)
   where r.id = p_run_id;
  perform ploomes_sync.apply_client_stats(p_run_id, p_client);
  update ploomes_sync.state
     set lease_expires_at = v_now + make_interval(secs => p_lease_seconds), lease_heartbeat_at = v_now
   where singleton;

  return jsonb_build_object('stored', v_count, 'inserted', v_inserted, 'updated', v_updated,
                            'unchanged', v_count - v_inserted - v_updated, 'rejected', v_rejected);
end
$$;

comment on function public.sync_ingest_page(bigint, jsonb, jsonb, jsonb, jsonb, integer) is
  'Sync API: stores one page of deals in the mirror (newer-than guard), marks touched customers for recompute, saves the pass position and extends the lease, in one transaction.';

revoke all on function ploomes_sync.max_logged_rejects() from public, anon, authenticated;
revoke all on function ploomes_sync.parse_deals(jsonb) from public, anon, authenticated;
revoke all on function ploomes_sync.deal_values(bigint, text, text, integer, text, text, integer, numeric, timestamptz, timestamptz, timestamptz, jsonb) from public, anon, authenticated;
revoke all on function ploomes_sync.apply_client_stats(bigint, jsonb) from public, anon, authenticated;
revoke all on function public.sync_ingest_page(bigint, jsonb, jsonb, jsonb, jsonb, integer) from public, anon, authenticated;
grant execute on function ploomes_sync.max_logged_rejects() to service_role;
grant execute on function ploomes_sync.parse_deals(jsonb) to service_role;
grant execute on function ploomes_sync.deal_values(bigint, text, text, integer, text, text, integer, numeric, timestamptz, timestamptz, timestamptz, jsonb) to service_role;
grant execute on function ploomes_sync.apply_client_stats(bigint, jsonb) to service_role;
grant execute on function public.sync_ingest_page(bigint, jsonb, jsonb, jsonb, jsonb, integer) to service_role;
