-- public.sync_health: one row a dashboard badge can read — last success, last failure and its
-- error, consecutive failures, data age. The view is security_invoker; the figures come from a
-- SECURITY DEFINER function in the private schema, so signed-in users see these aggregates and
-- never the runs table itself.

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
  running boolean
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
         (select s.lease_run_id is not null and s.lease_expires_at > now() from ploomes_sync.state s where s.singleton)
    from last_success ls
    left join last_failure lf on true
$$;

create or replace view public.sync_health with (security_invoker = true) as
  select h.* from ploomes_sync.health() h;

comment on view public.sync_health is
  'Health of the Ploomes sync for dashboards: last success/failure, error and hint, consecutive failures, data age.';

revoke all on function ploomes_sync.health() from public, anon, authenticated;
grant usage on schema ploomes_sync to authenticated;
grant execute on function ploomes_sync.health() to authenticated, service_role;
revoke all on public.sync_health from anon, authenticated;
grant select on public.sync_health to authenticated, service_role;
