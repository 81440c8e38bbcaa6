-- sync_health counts the deals rejected right now (ploomes_sync.rejected_deals), so a dashboard
-- badge shows bad data in Ploomes without anyone reading the runs table. Only the count: the
-- reasons stay in the private schema.

-- The view's columns come from the function's result, which gains a column: rebuild both.
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
         lf.error,
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

create or replace view public.sync_health with (security_invoker = true) as
  select h.* from ploomes_sync.health() h;

comment on view public.sync_health is
  'Health of the Ploomes sync for dashboards: last success/failure, error and hint, consecutive failures, data age, deals currently rejected.';

revoke all on function ploomes_sync.health() from public, anon, authenticated;
grant usage on schema ploomes_sync to authenticated;
grant execute on function ploomes_sync.health() to authenticated, service_role;
revoke all on public.sync_health from anon, authenticated;
grant select on public.sync_health to authenticated, service_role;
