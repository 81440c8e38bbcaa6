-- The schedule, entirely inside Postgres (README.md, "Triggering a sync"): pg_cron jobs that call the Edge Function
-- through pg_net, with the project URL and the cron secret read from Vault at run time — no
-- secret in any migration. Re-running this file is harmless: jobs are (re)scheduled by name.
--
--   sync-customer-sales           every 6 hours     a sync (auto: incremental, or full when due)
--   sync-customer-sales-continue  every minute      resumes a pass whose time budget ran out
--   sync-customer-sales-cleanup   daily             prunes cron.job_run_details (pg_cron never does)

create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pg_net with schema extensions;

-- pg_net gives up on a request after this long. The Edge Runtime answers within its 150 s wall
-- clock (with a 504 at worst), so waiting a little longer always records the real outcome.
create or replace function ploomes_sync.request_timeout_ms() returns integer
language sql immutable
set search_path = ''
as $$ select 155000 $$;

-- Reads one Vault secret; a missing or empty one is an error that names it (and so shows in
-- cron.job_run_details), never a request sent with a blank URL or secret.
create or replace function ploomes_sync.vault_value(p_name text) returns text
language plpgsql stable
set search_path = ''
as $$
declare
  v_value text;
begin
  select nullif(ds.decrypted_secret, '') into v_value from vault.decrypted_secrets ds where ds.name = p_name;
  if v_value is null then
    raise exception 'Vault secret "%" is missing or empty: the sync request was not sent', p_name
      using hint = format('Store it once: select vault.create_secret(''<value>'', %L); see docs/deploy.md.', p_name);
  end if;
  return v_value;
end
$$;

-- Queues the POST to the function. Run by pg_cron's job owner (postgres) and, through
-- trigger_customer_sales_sync, on behalf of service_role; no API role may call it directly.
create or replace function ploomes_sync.send_sync_request(p_trigger text, p_mode text default 'auto') returns bigint
language plpgsql
set search_path = ''
as $$
begin
  if p_mode is null or p_mode not in ('auto', 'incremental', 'full') then
    raise exception 'invalid mode %', coalesce(p_mode, 'null') using errcode = '22023', hint = 'use auto, incremental or full';
  end if;
  return net.http_post(
    url := rtrim(ploomes_sync.vault_value('project_url'), '/') || '/functions/v1/sync-customer-sales',
    body := jsonb_build_object('trigger', p_trigger, 'mode', p_mode),
    headers := jsonb_build_object('Content-Type', 'application/json', 'x-cron-secret', ploomes_sync.vault_value('cron_secret')),
    timeout_milliseconds := ploomes_sync.request_timeout_ms()
  );
end
$$;

-- The continuation: only while a pass is partial (its latest run ran out of time, or died and
-- left an expired lease), never while a run holds a live lease, and not while a request to the
-- function is still waiting in pg_net's queue. Returns the request id, or null when idle.
create or replace function ploomes_sync.continue_partial_pass() returns bigint
language plpgsql
set search_path = ''
as $$
declare
  v_state ploomes_sync.state;
  v_last_status text;
begin
  select * into v_state from ploomes_sync.state s where s.singleton;
  if v_state.current_pass_id is null then return null; end if;
  if v_state.lease_run_id is not null and v_state.lease_expires_at > now() then return null; end if;
  select r.status into v_last_status from ploomes_sync.runs r
   where r.pass_id = v_state.current_pass_id and r.status <> 'skipped'
   order by r.id desc limit 1;
  if v_last_status is distinct from 'partial' and v_last_status is distinct from 'running' then return null; end if;
  if exists (select 1 from net.http_request_queue q where q.url like '%/functions/v1/sync-customer-sales%') then
    return null;
  end if;
  return ploomes_sync.send_sync_request('continue');
end
$$;

-- The manual trigger: `select public.trigger_customer_sales_sync('full');` returns the pg_net
-- request id, whose outcome appears in net._http_response (and the run in ploomes_sync.runs).
-- SECURITY DEFINER so that service_role can trigger a sync without being able to read Vault.
create or replace function public.trigger_customer_sales_sync(mode text default 'auto') returns bigint
language sql
security definer
set search_path = ''
as $$ select ploomes_sync.send_sync_request('manual', mode) $$;

comment on function public.trigger_customer_sales_sync(text) is
  'Queues a sync of customer_sales now (mode auto | incremental | full) through pg_net; returns the request id (see net._http_response and ploomes_sync.runs).';

revoke all on function ploomes_sync.request_timeout_ms() from public, anon, authenticated;
revoke all on function ploomes_sync.vault_value(text) from public, anon, authenticated;
revoke all on function ploomes_sync.send_sync_request(text, text) from public, anon, authenticated;
revoke all on function ploomes_sync.continue_partial_pass() from public, anon, authenticated;
revoke all on function public.trigger_customer_sales_sync(text) from public, anon, authenticated;
grant execute on function public.trigger_customer_sales_sync(text) to service_role;

-- Jobs, by name: scheduling an existing name updates it in place (pg_cron upserts on the name).
select cron.schedule('sync-customer-sales', '0 */6 * * *', $$select ploomes_sync.send_sync_request('cron')$$);
select cron.schedule('sync-customer-sales-continue', '* * * * *', $$select ploomes_sync.continue_partial_pass()$$);
select cron.schedule('sync-customer-sales-cleanup', '17 3 * * *',
  $$delete from cron.job_run_details where end_time < now() - interval '7 days'$$);
