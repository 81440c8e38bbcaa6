-- Access and privacy (docs/deploy.md, "Who may read customer data"). customer_cnpj holds the CPF
-- of every customer who is a person: personal data (LGPD). A hosted project allows open sign-ups
-- by default, so "every authenticated user" is "anyone". Now:
-- * a signed-in user reads customer data only when an admin put `customer_sales` in the user's
--   app_metadata (which users cannot set themselves): "reader" sees CPFs masked
--   (***.456.789-**), "personal_data" sees them in full; anyone else sees no row;
-- * public.customer_sales (full documents) is for personal_data readers, service_role and Studio;
--   public.customer_sales_masked has the same columns for every reader, CPFs masked unless the
--   reader holds personal_data — a dashboard switches by the name alone;
-- * anon reads nothing; sync_health's error text carries no quoted payload;
-- * the daily cleanup prunes runs older than sync_run_retention_days (default 90), keeping the
--   latest success and failure whatever their age.

-- The caller's access to customer data, from the JWT PostgREST verified: 'personal_data',
-- 'reader' or ''. service_role (the sync, server code) has full access.
create or replace function ploomes_sync.reader_access() returns text
language sql stable
set search_path = ''
as $$
  select case
           when auth.role() = 'service_role' then 'personal_data'
           when auth.jwt() -> 'app_metadata' ->> 'customer_sales' in ('reader', 'personal_data')
             then auth.jwt() -> 'app_metadata' ->> 'customer_sales'
           else ''
         end
$$;
comment on function ploomes_sync.reader_access() is
  'The caller''s access to customer data from app_metadata.customer_sales in its JWT: personal_data, reader, or '''' (none). service_role counts as personal_data.';

-- A CPF (11 digits) shows only its middle six digits; a CNPJ is a company's public registration
-- and shows in full.
create or replace function ploomes_sync.mask_document(p_document text) returns text
language sql immutable
set search_path = ''
as $$
  select case when p_document ~ '^[0-9]{11}$'
              then '***.' || substr(p_document, 4, 3) || '.' || substr(p_document, 7, 3) || '-**'
              else p_document
         end
$$;

-- Only personal_data readers read the table itself (its customer_cnpj holds CPFs in full).
drop policy if exists customer_sales_select_authenticated on public.customer_sales;
drop policy if exists customer_sales_select_personal_data on public.customer_sales;
create policy customer_sales_select_personal_data on public.customer_sales
  for select to authenticated
  using ((select ploomes_sync.reader_access()) = 'personal_data');

-- Every reader's rows, CPFs masked unless the reader holds personal_data. SECURITY DEFINER: it
-- reads the table past its policy, and applies the reader's access itself.
create or replace function ploomes_sync.customer_sales_for_reader() returns setof public.customer_sales
language sql stable
security definer
set search_path = ''
as $$
  select c.customer_id, c.customer_name,
         case when a.access = 'personal_data' then c.customer_cnpj else ploomes_sync.mask_document(c.customer_cnpj) end,
         c.total_sales, c.total_deals, c.won_deals, c.open_deals, c.lost_deals, c.total_revenue, c.average_deal_value,
         c.products_purchased, c.total_products, c.first_purchase_date, c.last_purchase_date, c.days_since_last_purchase,
         c.has_custom_pricing, c.pricing_history_count, c.last_sync_at, c.created_at, c.updated_at
    from (select ploomes_sync.reader_access() as access) a
    join public.customer_sales c on a.access in ('reader', 'personal_data')
$$;

create or replace view public.customer_sales_masked with (security_invoker = true) as
  select r.* from ploomes_sync.customer_sales_for_reader() r;
comment on view public.customer_sales_masked is
  'customer_sales for dashboards: every reader (app_metadata.customer_sales = reader or personal_data) sees every row, CPFs masked (***.456.789-**) unless personal_data.';

revoke all on function ploomes_sync.reader_access() from public, anon, authenticated;
revoke all on function ploomes_sync.mask_document(text) from public, anon, authenticated;
revoke all on function ploomes_sync.customer_sales_for_reader() from public, anon, authenticated;
-- authenticated calls these two: the policy reads the caller's access, the view reads its rows.
grant execute on function ploomes_sync.reader_access() to authenticated, service_role;
grant execute on function ploomes_sync.mask_document(text) to service_role;
grant execute on function ploomes_sync.customer_sales_for_reader() to authenticated, service_role;
revoke all on public.customer_sales_masked from public, anon, authenticated;
grant select on public.customer_sales_masked to authenticated, service_role;

-- Error texts shown to dashboards keep their prose, not what they quote (a body, a value).
create or replace function ploomes_sync.without_payload(p_text text) returns text
language sql immutable
set search_path = ''
as $$
  select left(regexp_replace(regexp_replace(regexp_replace(p_text,
           '"([^"\\]|\\.)*"', '"…"', 'g'),
           '''[^'']*''', '''…''', 'g'),
           '(body|Body): [^;]*', '\1: (omitted)', 'g'), 500)
$$;
revoke all on function ploomes_sync.without_payload(text) from public, anon, authenticated;
grant execute on function ploomes_sync.without_payload(text) to service_role;

-- health() as before, its error text through without_payload (hints are the sync's own words).
create or replace function ploomes_sync.health()
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
  rejected_deals integer
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
         (select s.current_pass_id is not null from ploomes_sync.state s where s.singleton),
         (select s.lease_run_id is not null and s.lease_expires_at > now() from ploomes_sync.state s where s.singleton),
         (select count(*)::integer from ploomes_sync.rejected_deals)
    from last_success ls
    left join last_failure lf on true
$$;

-- Retention of the run history (and the rejects each run lists).
alter table ploomes_sync.state add column if not exists sync_run_retention_days integer not null default 90;
alter table ploomes_sync.state drop constraint if exists state_sync_run_retention_days_check;
alter table ploomes_sync.state add constraint state_sync_run_retention_days_check check (sync_run_retention_days > 0);
comment on column ploomes_sync.state.sync_run_retention_days is
  'The daily cleanup deletes runs (with the rejects they list) and finished passes older than this many days, keeping the latest success and failure. Default 90.';

create or replace function ploomes_sync.prune_runs() returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_state ploomes_sync.state;
  v_cutoff timestamptz;
  v_deleted integer;
begin
  select * into strict v_state from ploomes_sync.state s where s.singleton;
  v_cutoff := now() - make_interval(days => v_state.sync_run_retention_days);
  -- Kept whatever their age: the latest success and failure (sync_health reads them), the lease
  -- holder, and the runs of the pass in progress.
  with kept as (
    select max(r.id) as id from ploomes_sync.runs r where r.status = 'succeeded'
    union all select max(r.id) from ploomes_sync.runs r where r.status = 'failed'
    union all select v_state.lease_run_id
    union all select r.id from ploomes_sync.runs r where r.pass_id = v_state.current_pass_id
  ),
  pruned as (
    delete from ploomes_sync.runs r
     where r.started_at < v_cutoff
       and r.id not in (select k.id from kept k where k.id is not null)
    returning r.id
  )
  select count(*)::integer into v_deleted from pruned;
  -- Finished passes no run refers to any more (their staged gone deals go with them).
  delete from ploomes_sync.passes p
   where p.started_at < v_cutoff
     and p.status <> 'in_progress'
     and p.id is distinct from v_state.current_pass_id
     and not exists (select 1 from ploomes_sync.runs r where r.pass_id = p.id);
  return v_deleted;
end
$$;
comment on function ploomes_sync.prune_runs() is
  'Deletes runs older than state.sync_run_retention_days (keeping the latest success and failure, the lease holder and the pass in progress) and the finished passes left without runs; returns the runs deleted.';
revoke all on function ploomes_sync.prune_runs() from public, anon, authenticated;
grant execute on function ploomes_sync.prune_runs() to service_role;

-- The daily cleanup: pg_cron's run history (7 days) and the sync's (sync_run_retention_days).
select cron.schedule('sync-customer-sales-cleanup', '17 3 * * *',
  $$delete from cron.job_run_details where end_time < now() - interval '7 days'; select ploomes_sync.prune_runs();$$);
