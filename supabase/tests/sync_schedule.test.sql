-- The schedule (README "Triggering a sync"): the three pg_cron jobs exist by name with their schedules, exactly
-- once even after the schedule migration is applied again; no migration carries a secret; the
-- manual trigger is for postgres/service_role only; and the request it queues is the one the
-- function expects (URL from Vault, x-cron-secret from Vault, JSON body, explicit timeout).
-- pg_prove runs this from the project root, so the migration files are read with relative paths.
\set migrations `cat supabase/migrations/*.sql`
begin;
set local search_path = extensions, public;
select plan(17);

select is(
  array(select jobname || ' @ ' || schedule from cron.job where jobname like 'sync-customer-sales%' order by jobname),
  array['sync-customer-sales @ 0 */6 * * *', 'sync-customer-sales-alerts @ */5 * * * *', 'sync-customer-sales-cleanup @ 17 3 * * *',
        'sync-customer-sales-continue @ * * * * *'],
  'the four jobs, with their schedules');

\i supabase/migrations/20261128000800_schedule.sql
select is(
  array(select jobname || ' x' || count(*) from cron.job where jobname like 'sync-customer-sales%' group by jobname order by jobname),
  array['sync-customer-sales x1', 'sync-customer-sales-alerts x1', 'sync-customer-sales-cleanup x1',
        'sync-customer-sales-continue x1'],
  'applying the schedule migration again leaves each job exactly once');
select is((select count(*)::int from cron.job where jobname like 'sync-customer-sales%' and not active), 0, 'all jobs active');
select matches((select command from cron.job where jobname = 'sync-customer-sales-cleanup'),
  'cron\.job_run_details.*7 days', 'the cleanup prunes job_run_details older than 7 days');

-- No secret in any migration: no JWT, no new-style secret key, no long hex/base64 blob, and none
-- of the values this stack actually stores in Vault.
select unalike(:'migrations'::text, '%eyJhbGciOi%', 'no JWT in the migrations');
select unalike(:'migrations'::text, '%sb_secret_%', 'no secret key in the migrations');
select ok(:'migrations'::text !~ '[A-Fa-f0-9]{40,}', 'no long hex string in the migrations');
select ok(strpos(:'migrations'::text, (select decrypted_secret from vault.decrypted_secrets where name = 'cron_secret')) = 0,
  'the stored cron_secret appears in no migration');
select ok(:'migrations'::text ~ 'vault\.decrypted_secrets', 'the secrets are read from Vault at run time');

select ok(not has_function_privilege('anon', 'public.trigger_customer_sales_sync(text)', 'EXECUTE'), 'anon cannot trigger');
select ok(not has_function_privilege('authenticated', 'public.trigger_customer_sales_sync(text)', 'EXECUTE'), 'authenticated cannot trigger');
select ok(has_function_privilege('service_role', 'public.trigger_customer_sales_sync(text)', 'EXECUTE'), 'service_role can trigger');
set local role authenticated;
select throws_ok($$select public.trigger_customer_sales_sync()$$, '42501', null, 'calling it as authenticated is refused');
reset role;

-- The request it queues (rolled back with the test, so it is never sent).
-- Through Vault's API: postgres may not write vault.secrets directly (as on hosted Supabase).
do $$ begin perform vault.update_secret(id, 'https://example.supabase.co/') from vault.secrets where name = 'project_url'; end $$;
select public.trigger_customer_sales_sync('full') as request_id \gset
select is((select url from net.http_request_queue where id = :request_id),
  'https://example.supabase.co/functions/v1/sync-customer-sales', 'URL from Vault project_url, trailing slash handled');
select is((select headers ->> 'x-cron-secret' from net.http_request_queue where id = :request_id),
  (select decrypted_secret from vault.decrypted_secrets where name = 'cron_secret'), 'x-cron-secret from Vault');
select is((select convert_from(body, 'UTF8')::jsonb from net.http_request_queue where id = :request_id),
  '{"trigger": "manual", "mode": "full"}'::jsonb, 'JSON body with trigger and mode');
select is((select timeout_milliseconds from net.http_request_queue where id = :request_id), 155000,
  'an explicit timeout, longer than the Edge Runtime wall clock');

select * from finish();
rollback;
