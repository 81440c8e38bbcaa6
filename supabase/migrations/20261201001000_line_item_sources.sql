-- Line items from wherever the account keeps them (docs/metrics.md, "Where line items come from").
-- Ploomes accounts keep deal line items in one of three places: the deal's `Products` expansion,
-- its orders (`Orders` + `Products`) or its quotes (`Quotes` + `Products`). The sync uses one
-- source per pass, chosen by PLOOMES_LINE_ITEMS_SOURCE (auto decides at each full pass), and
-- mirrors orders or quotes in ploomes_sync.deal_documents, paged like deals: keyset pages, their
-- own full-pass ranges (lines_position), the same newer-than guard, gone documents staged per
-- page and swept when the pass completes. The metrics read a won deal's lines through
-- ploomes_sync.deal_lines, under the source in force (state.line_items_source); the
-- recompute that does so is in 20261201001200_deal_shape_once.sql, with the deal shape.

create table if not exists ploomes_sync.deal_documents (
  kind text not null check (kind in ('orders', 'quotes')),
  document_id bigint not null,
  deal_id bigint,
  review_number integer,          -- quotes: ReviewNumber
  last_review boolean,            -- quotes: LastReview (the current revision)
  approval_status_id integer,     -- quotes: ApprovalStatusId
  last_update_date timestamptz not null,
  last_update_raw text not null,
  -- [{product_id, quantity, unit_price, discount, total, catalog_unit_price}], as on deals.
  line_items jsonb not null,
  synced_at timestamptz not null default now(),
  primary key (kind, document_id)
);
create index if not exists deal_documents_deal_id_idx on ploomes_sync.deal_documents (deal_id, kind);
comment on table ploomes_sync.deal_documents is
  'Mirror of the Ploomes orders or quotes that carry line items, when PLOOMES_LINE_ITEMS_SOURCE is (or auto chose) orders or quotes.';

create table if not exists ploomes_sync.pass_gone_documents (
  pass_id bigint not null references ploomes_sync.passes (id) on delete cascade,
  kind text not null check (kind in ('orders', 'quotes')),
  document_id bigint not null,
  primary key (pass_id, kind, document_id)
);
comment on table ploomes_sync.pass_gone_documents is
  'Mirrored orders or quotes a full pass proved gone from Ploomes; deleted when the pass completes.';

revoke all on ploomes_sync.deal_documents, ploomes_sync.pass_gone_documents from public, anon, authenticated;
grant select, insert, update, delete on ploomes_sync.deal_documents, ploomes_sync.pass_gone_documents to service_role;
alter table ploomes_sync.deal_documents enable row level security;
alter table ploomes_sync.pass_gone_documents enable row level security;

-- The source in force, and why. 'deals' is what every earlier version of the sync read.
alter table ploomes_sync.state add column if not exists line_items_source text not null default 'deals';
alter table ploomes_sync.state add column if not exists line_items_reason text;
alter table ploomes_sync.state add column if not exists line_items_decided_at timestamptz;
-- Ploomes does not document its quote approval status ids; 2 is "approved" in the accounts we know
-- of. An account that differs sets it here (docs/metrics.md).
alter table ploomes_sync.state add column if not exists quote_approved_status_id integer not null default 2;
alter table ploomes_sync.state drop constraint if exists state_line_items_source_check;
alter table ploomes_sync.state add constraint state_line_items_source_check
  check (line_items_source in ('deals', 'orders', 'quotes', 'none'));

alter table ploomes_sync.passes add column if not exists line_items_source text
  check (line_items_source in ('deals', 'orders', 'quotes', 'none'));
alter table ploomes_sync.passes add column if not exists line_items_reason text;
alter table ploomes_sync.passes add column if not exists lines_position jsonb;
alter table ploomes_sync.passes add column if not exists documents_seen integer not null default 0;
alter table ploomes_sync.passes add column if not exists documents_rejected integer not null default 0;
comment on column ploomes_sync.passes.line_items_source is
  'Where this pass reads line items: decided once, before its first line-item page; null until then.';
comment on column ploomes_sync.passes.lines_position is
  'The orders/quotes walk''s position, as position is the deals walk''s: {"ranges": [...]} (full) or the keyset (incremental).';

alter table ploomes_sync.runs add column if not exists line_items_source text;
alter table ploomes_sync.runs add column if not exists line_items_reason text;
alter table ploomes_sync.runs add column if not exists documents_fetched integer not null default 0;

-- A pass that stops being in progress takes its staged gone documents with it (as fail, abandon
-- and complete do for pass_gone), so nothing stale is ever swept.
create or replace function ploomes_sync.drop_staged_documents() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  delete from ploomes_sync.pass_gone_documents g where g.pass_id = new.id;
  return null;
end
$$;
drop trigger if exists passes_drop_staged_documents on ploomes_sync.passes;
create trigger passes_drop_staged_documents
  after update of status on ploomes_sync.passes
  for each row when (new.status <> 'in_progress')
  execute function ploomes_sync.drop_staged_documents();

-- A deal's line items under a source. Orders: every line of every order of the deal. Quotes: the
-- lines of one quote — an approved one first, then the current revision (LastReview), then the
-- highest ReviewNumber, then the highest Id. Null when the source has none for the deal.
create or replace function ploomes_sync.deal_lines(
  p_deal_id bigint, p_deal_lines jsonb, p_source text, p_approved_status_id integer
) returns jsonb
language sql stable
set search_path = ''
as $$
  select case p_source
    when 'deals' then p_deal_lines
    when 'orders' then (
      select jsonb_agg(l.value order by o.document_id, l.n)
        from ploomes_sync.deal_documents o
        cross join lateral jsonb_array_elements(o.line_items) with ordinality l(value, n)
       where o.kind = 'orders' and o.deal_id = p_deal_id)
    when 'quotes' then (
      select q.line_items
        from ploomes_sync.deal_documents q
       where q.kind = 'quotes' and q.deal_id = p_deal_id
       -- An unknown status or LastReview counts as "no", never ahead of a known "no".
       order by coalesce(q.approval_status_id = p_approved_status_id, false) desc, coalesce(q.last_review, false) desc,
                q.review_number desc nulls last, q.document_id desc
       limit 1)
  end
$$;

-- The orders or quotes of the `sync_ingest_documents` payload, one row per document.
create or replace function ploomes_sync.parse_documents(p_documents jsonb)
returns table (document_id bigint, deal_id bigint, review_number integer, last_review boolean,
               approval_status_id integer, last_update_date timestamptz, last_update_raw text, line_items jsonb)
language sql immutable
set search_path = ''
as $$
  -- A document repeated in a page is stored once: its latest version.
  select distinct on (d.id) d.id, d.deal_id, d.review_number, d.last_review, d.approval_status_id,
         d.last_update_date, d.last_update_raw, coalesce(d.line_items, '[]'::jsonb)
    from jsonb_to_recordset(p_documents) as d(id bigint, deal_id bigint, review_number integer, last_review boolean,
         approval_status_id integer, last_update_date timestamptz, last_update_raw text, line_items jsonb)
   order by d.id, d.last_update_date desc
$$;

-- Stores documents of one kind (newer-than guard, identical rows untouched) and marks the
-- customers of their deals — before and after — for recompute. A dry run only counts.
create or replace function ploomes_sync.store_documents(p_kind text, p_dry_run boolean, p_documents jsonb, p_now timestamptz)
returns table (stored integer, inserted integer, updated integer)
language plpgsql
set search_path = ''
as $$
begin
  if p_dry_run then
    select count(*), count(*) filter (where m.document_id is null),
           count(*) filter (where m.document_id is not null and m.last_update_date <= i.last_update_date
             and (m.deal_id, m.review_number, m.last_review, m.approval_status_id, m.last_update_date, m.line_items)
                 is distinct from (i.deal_id, i.review_number, i.last_review, i.approval_status_id, i.last_update_date, i.line_items))
      into stored, inserted, updated
      from ploomes_sync.parse_documents(p_documents) i
      left join ploomes_sync.deal_documents m on m.kind = p_kind and m.document_id = i.document_id;
    return next;
    return;
  end if;

  with incoming as (select * from ploomes_sync.parse_documents(p_documents)),
  previous as (
    select m.document_id, m.deal_id from ploomes_sync.deal_documents m
     where m.kind = p_kind and m.document_id in (select i.document_id from incoming i)
  ),
  written as (
    insert into ploomes_sync.deal_documents as m (
      kind, document_id, deal_id, review_number, last_review, approval_status_id, last_update_date, last_update_raw,
      line_items, synced_at)
    select p_kind, i.document_id, i.deal_id, i.review_number, i.last_review, i.approval_status_id, i.last_update_date,
           i.last_update_raw, i.line_items, p_now
      from incoming i
    on conflict (kind, document_id) do update set
      deal_id = excluded.deal_id, review_number = excluded.review_number, last_review = excluded.last_review,
      approval_status_id = excluded.approval_status_id, last_update_date = excluded.last_update_date,
      last_update_raw = excluded.last_update_raw, line_items = excluded.line_items, synced_at = excluded.synced_at
    -- The deals' newer-than guard: an older page never overwrites a newer version.
    where m.last_update_date <= excluded.last_update_date
      and (m.deal_id, m.review_number, m.last_review, m.approval_status_id, m.last_update_date, m.line_items)
          is distinct from (excluded.deal_id, excluded.review_number, excluded.last_review,
                            excluded.approval_status_id, excluded.last_update_date, excluded.line_items)
    returning m.document_id, m.deal_id, (m.xmax = 0) as was_inserted
  ),
  dirty as (
    insert into ploomes_sync.dirty_customers (customer_id)
    select distinct d.contact_id
      from ploomes_sync.deals d
     where d.contact_id is not null
       and d.deal_id in (select w.deal_id from written w
                         union all
                         -- A document moved to another deal changes the former deal's customer too.
                         select p.deal_id from previous p join written w using (document_id))
    on conflict (customer_id) do nothing
  )
  select (select count(*)::integer from incoming), count(*) filter (where w.was_inserted)::integer,
         count(*) filter (where not w.was_inserted)::integer
    into stored, inserted, updated
    from written w;
  return next;
end
$$;

-- Where a range of a page stood and where the page ends, from the position stored with the
-- previous page and the one sent with this page; raises when the span would not continue the
-- range (a wrong span would stage records that exist).
create or replace function ploomes_sync.page_span(
  p_pass_id bigint, p_stored jsonb, p_position jsonb, p_range integer, out after_id bigint, out through_id bigint
)
language plpgsql
set search_path = ''
as $$
declare
  v_range jsonb := ploomes_sync.pass_ranges(p_position) -> coalesce(p_range, 0);
  v_stored jsonb := case when p_stored is not null then ploomes_sync.pass_ranges(p_stored) -> coalesce(p_range, 0) end;
begin
  if v_range is null or jsonb_typeof(v_range -> 'after') is distinct from 'number' then
    raise exception 'a full-pass page needs p_position.ranges[p_range].after (got range %, position %)',
      coalesce(p_range::text, 'null'), left(p_position::text, 200) using errcode = '22023';
  end if;
  if v_stored is not null and (v_stored -> 'from', v_stored -> 'to') is distinct from (v_range -> 'from', v_range -> 'to') then
    raise exception 'range % of pass % is (%, %], not (%, %]', p_range, p_pass_id,
      v_stored -> 'from', v_stored -> 'to', v_range -> 'from', v_range -> 'to' using errcode = '22023';
  end if;
  after_id := coalesce((v_stored ->> 'after')::bigint, (v_range ->> 'from')::bigint);
  through_id := (v_range ->> 'after')::bigint;
  if after_id is not null and through_id <= after_id then
    raise exception 'range % of pass % would move back from Id % to Id %', p_range, p_pass_id, after_id, through_id
      using errcode = '22023';
  end if;
end
$$;

-- Stores one page of orders or quotes: the same steps as sync_ingest_page for deals (one
-- transaction; a row the database refuses is rejected alone; a full-pass page stages the
-- mirrored documents of its span it did not carry; position, run figures, lease).
create or replace function public.sync_ingest_documents(
  p_run_id bigint,
  p_kind text,                            -- 'orders' or 'quotes': the pass's line-item source
  p_documents jsonb,                      -- [{id, deal_id, review_number, last_review, approval_status_id,
                                          --   last_update_date, last_update_raw, line_items}]
  p_position jsonb,                       -- the walk's position after this page (as sync_ingest_page)
  p_range integer default null,           -- full pass: the index of the range this page belongs to
  p_rejects jsonb default '[]'::jsonb,    -- [{id, field, reason}] found by the Edge Function's validation
  p_warnings jsonb default '[]'::jsonb,
  p_client jsonb default '{}'::jsonb,
  p_lease_seconds integer default 60
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
  v_document jsonb;
  v_rejects jsonb := coalesce(p_rejects, '[]'::jsonb);
  v_span record;
begin
  if jsonb_typeof(p_documents) is distinct from 'array' or jsonb_typeof(v_rejects) is distinct from 'array'
     or jsonb_typeof(coalesce(p_warnings, '[]'::jsonb)) is distinct from 'array' then
    raise exception 'p_documents, p_rejects and p_warnings must be JSON arrays' using errcode = '22023';
  end if;
  perform ploomes_sync.lock_state_for_run(p_run_id);
  select * into strict v_run from ploomes_sync.runs r where r.id = p_run_id;
  if not v_run.dry_run then
    select * into strict v_pass from ploomes_sync.passes p where p.id = v_run.pass_id;
    if v_pass.line_items_source is distinct from p_kind then
      raise exception 'pass % reads line items from %, not %', v_pass.id, coalesce(v_pass.line_items_source, '(not decided)'), p_kind
        using errcode = '22023', hint = 'Record the choice with sync_line_items first.';
    end if;
  elsif p_kind is null or p_kind not in ('orders', 'quotes') then
    raise exception 'p_kind must be orders or quotes, got %', coalesce(p_kind, 'null') using errcode = '22023';
  end if;

  begin
    select * into strict v_result from ploomes_sync.store_documents(p_kind, v_run.dry_run, p_documents, v_now);
    v_stored := v_result.stored; v_inserted := v_result.inserted; v_updated := v_result.updated;
  exception when others then
    -- As for deals: a row the database refuses is rejected alone, found row by row.
    for v_document in select e.value from jsonb_array_elements(p_documents) e loop
      begin
        select * into strict v_result from ploomes_sync.store_documents(p_kind, v_run.dry_run, jsonb_build_array(v_document), v_now);
        v_stored := v_stored + v_result.stored; v_inserted := v_inserted + v_result.inserted; v_updated := v_updated + v_result.updated;
      exception when others then
        v_rejects := v_rejects || jsonb_build_array(jsonb_build_object(
          'id', case when jsonb_typeof(v_document -> 'id') = 'number' then v_document -> 'id' end,
          'field', '(row)', 'reason', ploomes_sync.refusal_reason(sqlstate, sqlerrm)));
      end;
    end loop;
  end;

  if not v_run.dry_run then
    if v_pass.mode = 'full' then
      select * into v_span from ploomes_sync.page_span(v_pass.id, v_pass.lines_position, p_position, p_range);
      -- Every Id the page carried, stored or rejected, still exists in Ploomes.
      insert into ploomes_sync.pass_gone_documents (pass_id, kind, document_id)
      select v_pass.id, p_kind, m.document_id
        from ploomes_sync.deal_documents m
       where m.kind = p_kind
         and (v_span.after_id is null or m.document_id > v_span.after_id) and m.document_id <= v_span.through_id
         and m.document_id not in (
           select (e.value ->> 'id')::bigint from jsonb_array_elements(p_documents || v_rejects) e
            where jsonb_typeof(e.value -> 'id') = 'number' and (e.value ->> 'id') ~ '^[0-9]{1,18}$')
      on conflict do nothing;
    end if;
    update ploomes_sync.passes p
       set lines_position = p_position, pages = p.pages + 1, documents_seen = p.documents_seen + v_stored,
           documents_rejected = p.documents_rejected + jsonb_array_length(v_rejects)
     where p.id = v_pass.id;
  end if;

  update ploomes_sync.runs r
     set pages = r.pages + 1,
         documents_fetched = r.documents_fetched + v_stored,
         rejects = (select coalesce(jsonb_agg(x.value), '[]'::jsonb) from (
                      select e.value from jsonb_array_elements(r.rejects || (
                               select coalesce(jsonb_agg(j.value || jsonb_build_object('entity', p_kind)), '[]'::jsonb)
                                 from jsonb_array_elements(v_rejects) j)) with ordinality e(value, n)
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

comment on function public.sync_ingest_documents(bigint, text, jsonb, jsonb, integer, jsonb, jsonb, jsonb, integer) is
  'Sync API: stores one page of orders or quotes (newer-than guard; a refused row is rejected alone), stages the documents a full-pass page proves gone, marks the customers of their deals for recompute, saves the walk''s position and extends the lease, in one transaction.';

-- The line-item plan of a run: where its pass reads line items (once decided), the source in
-- force, and the orders/quotes walk's position. With p_choice {source, reason[, warning]} it first
-- records the choice — on the run always, on the pass only while undecided (a pass never changes
-- source midway).
create or replace function public.sync_line_items(p_run_id bigint, p_choice jsonb default null) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_state ploomes_sync.state;
  v_run ploomes_sync.runs;
  v_pass ploomes_sync.passes;
  v_source text := p_choice ->> 'source';
begin
  v_state := ploomes_sync.lock_state_for_run(p_run_id);
  select * into strict v_run from ploomes_sync.runs r where r.id = p_run_id;
  if p_choice is not null then
    if v_source is null or v_source not in ('deals', 'orders', 'quotes', 'none') then
      raise exception 'line-item source must be deals, orders, quotes or none, got %', coalesce(v_source, 'null')
        using errcode = '22023';
    end if;
    update ploomes_sync.passes p
       set line_items_source = v_source, line_items_reason = left(p_choice ->> 'reason', 500)
     where p.id = v_run.pass_id and p.line_items_source is null;
    update ploomes_sync.runs r
       set line_items_source = coalesce((select p.line_items_source from ploomes_sync.passes p where p.id = v_run.pass_id), v_source),
           line_items_reason = coalesce((select p.line_items_reason from ploomes_sync.passes p where p.id = v_run.pass_id),
                                        left(p_choice ->> 'reason', 500)),
           warnings = case when jsonb_typeof(p_choice -> 'warning') = 'string' and not r.warnings @> jsonb_build_array(p_choice -> 'warning')
                           then r.warnings || jsonb_build_array(p_choice -> 'warning') else r.warnings end
     where r.id = p_run_id;
  end if;
  select * into v_pass from ploomes_sync.passes p where p.id = v_run.pass_id;
  -- Every run of a pass records the pass's source, including the runs that continue it.
  if v_pass.line_items_source is not null then
    update ploomes_sync.runs r
       set line_items_source = v_pass.line_items_source, line_items_reason = v_pass.line_items_reason
     where r.id = p_run_id and r.line_items_source is distinct from v_pass.line_items_source;
  end if;
  return jsonb_build_object(
    'source', v_pass.line_items_source, 'reason', v_pass.line_items_reason,
    'inForce', v_state.line_items_source, 'inForceReason', v_state.line_items_reason,
    'linesPosition', v_pass.lines_position);
end
$$;

comment on function public.sync_line_items(bigint, jsonb) is
  'Sync API: the run''s line-item source (recording p_choice first when given), the source in force and the orders/quotes walk position.';

revoke all on function ploomes_sync.drop_staged_documents() from public, anon, authenticated;
revoke all on function ploomes_sync.deal_lines(bigint, jsonb, text, integer) from public, anon, authenticated;
revoke all on function ploomes_sync.parse_documents(jsonb) from public, anon, authenticated;
revoke all on function ploomes_sync.store_documents(text, boolean, jsonb, timestamptz) from public, anon, authenticated;
revoke all on function ploomes_sync.page_span(bigint, jsonb, jsonb, integer) from public, anon, authenticated;
revoke all on function public.sync_ingest_documents(bigint, text, jsonb, jsonb, integer, jsonb, jsonb, jsonb, integer) from public, anon, authenticated;
revoke all on function public.sync_line_items(bigint, jsonb) from public, anon, authenticated;
grant execute on function ploomes_sync.drop_staged_documents() to service_role;
grant execute on function ploomes_sync.deal_lines(bigint, jsonb, text, integer) to service_role;
grant execute on function ploomes_sync.parse_documents(jsonb) to service_role;
grant execute on function ploomes_sync.store_documents(text, boolean, jsonb, timestamptz) to service_role;
grant execute on function ploomes_sync.page_span(bigint, jsonb, jsonb, integer) to service_role;
grant execute on function public.sync_ingest_documents(bigint, text, jsonb, jsonb, integer, jsonb, jsonb, jsonb, integer) to service_role;
grant execute on function public.sync_line_items(bigint, jsonb) to service_role;
