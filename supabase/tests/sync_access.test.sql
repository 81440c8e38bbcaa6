-- Access and privacy (20261201000900): with the JWT claims PostgREST sets, a reader allowed by
-- app_metadata.customer_sales sees every row — CPFs masked in customer_sales_masked unless the
-- reader holds personal_data, CNPJs in full; a signed-in user without that claim (or with it only
-- in user_metadata, which users set themselves) sees none; anon is refused. sync_health's error
-- carries no quoted payload. The daily cleanup job prunes runs older than
-- sync_run_retention_days, keeping the latest success and failure.
begin;
set local search_path = extensions, public;
select plan(22);

\i supabase/tests/support/reset_sync_state.sql

insert into public.customer_sales (customer_id, customer_name, customer_cnpj) values
  (910000001, 'Pessoa Física', '12345678909'),
  (910000002, 'Empresa Ltda', '12345678000190'),
  (910000003, 'Sem documento', null);

create function pg_temp.as_user(p_app jsonb, p_user jsonb default '{}') returns void language sql as $$
  select set_config('request.jwt.claims',
    jsonb_build_object('role', 'authenticated', 'sub', '00000000-0000-0000-0000-000000000001',
                       'app_metadata', p_app, 'user_metadata', p_user)::text, true)
$$;
create function pg_temp.documents(p_from text) returns text[] language plpgsql as $$
declare v text[];
begin
  execute format('select coalesce(array_agg(coalesce(customer_cnpj, ''-'') order by customer_id), ''{}'') from public.%I where customer_id between 910000001 and 910000003', p_from) into v;
  return v;
end $$;
grant execute on function pg_temp.documents(text) to authenticated;

-- A reader: every row of the masked view, the CPF masked, the CNPJ whole; the table itself is not theirs.
select pg_temp.as_user('{"customer_sales": "reader"}');
set local role authenticated;
select is(pg_temp.documents('customer_sales_masked'), array['***.456.789-**', '12345678000190', '-'],
  'reader: every row, the CPF masked and the CNPJ in full');
select is(pg_temp.documents('customer_sales'), '{}'::text[], 'reader: no row of customer_sales itself (full CPFs)');
select is((select count(*)::int from public.customer_sales_masked m
            join lateral (select 1) x on true where m.customer_name = 'Empresa Ltda'), 1, 'reader: the other columns as they are');
reset role;

-- personal_data: both, in full.
select pg_temp.as_user('{"customer_sales": "personal_data"}');
set local role authenticated;
select is(pg_temp.documents('customer_sales_masked'), array['12345678909', '12345678000190', '-'], 'personal_data: the view in full');
select is(pg_temp.documents('customer_sales'), array['12345678909', '12345678000190', '-'], 'personal_data: the table in full');
reset role;

-- Signed in without the grant, or with it only where users write themselves.
select pg_temp.as_user('{}');
set local role authenticated;
select is(pg_temp.documents('customer_sales_masked'), '{}'::text[], 'no grant: no row in the view');
select is(pg_temp.documents('customer_sales'), '{}'::text[], 'no grant: no row in the table');
reset role;
select pg_temp.as_user('{"provider": "email"}', '{"customer_sales": "personal_data"}');
set local role authenticated;
select is(pg_temp.documents('customer_sales_masked'), '{}'::text[], 'a claim in user_metadata grants nothing (view)');
select is(pg_temp.documents('customer_sales'), '{}'::text[], 'a claim in user_metadata grants nothing (table)');
reset role;
select pg_temp.as_user('{"customer_sales": "admin"}');
set local role authenticated;
select is(pg_temp.documents('customer_sales_masked'), '{}'::text[], 'an unknown access value grants nothing');
reset role;

-- anon: refused outright.
select set_config('request.jwt.claims', '{"role": "anon"}', true);
set local role anon;
select throws_ok('select * from public.customer_sales', '42501', null, 'anon: permission denied on customer_sales');
select throws_ok('select * from public.customer_sales_masked', '42501', null, 'anon: permission denied on customer_sales_masked');
select throws_ok('select * from public.sync_health', '42501', null, 'anon: permission denied on sync_health');
reset role;

-- service_role (the sync, server code): everything, in full, in both.
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
set local role service_role;
select is(pg_temp.documents('customer_sales_masked'), array['12345678909', '12345678000190', '-'], 'service_role: the view in full');
reset role;

-- sync_health: the failure's prose, not what it quotes.
insert into ploomes_sync.runs (trigger, requested_mode, status, started_at, finished_at, error, error_hint)
values ('cron', 'auto', 'failed', now(), now(),
  'database call sync_ingest_page failed (22P02): invalid input syntax for type numeric: "Maria da Silva 123.456.789-09"; body: {"Name": "Maria"}',
  'Fix the deal in Ploomes, then run select public.trigger_customer_sales_sync(''full'');');
select pg_temp.as_user('{"customer_sales": "reader"}');
set local role authenticated;
select is((select last_failure_error from public.sync_health),
  'database call sync_ingest_page failed (22P02): invalid input syntax for type numeric: "…"; body: (omitted)',
  'sync_health: the error keeps its prose, not the quoted value or the body');
select ok((select last_failure_hint from public.sync_health) like '%trigger_customer_sales_sync(''full'')%', 'sync_health: the hint (the sync''s own words) is whole');
reset role;

-- =============================================================================================
-- Retention: runs older than sync_run_retention_days go, with their rejects; the latest success
-- and failure stay whatever their age; the job that does it is the daily cleanup.
delete from ploomes_sync.runs;
update ploomes_sync.state set sync_run_retention_days = 30;
insert into ploomes_sync.runs (trigger, requested_mode, status, started_at, finished_at, rejects, error) values
  ('cron', 'auto', 'succeeded', now() - interval '200 days', now() - interval '200 days', '[{"id": 1, "field": "Amount", "reason": "r"}]', null),
  ('cron', 'auto', 'failed',    now() - interval '150 days', now() - interval '150 days', '[]', 'old failure'),
  ('cron', 'auto', 'succeeded', now() - interval '100 days', now() - interval '100 days', '[]', null),
  ('cron', 'auto', 'failed',    now() - interval '90 days',  now() - interval '90 days',  '[]', 'latest failure'),
  ('cron', 'auto', 'succeeded', now() - interval '40 days',  now() - interval '40 days',  '[]', null),
  ('cron', 'auto', 'partial',   now() - interval '35 days',  now() - interval '35 days',  '[]', null),
  ('cron', 'auto', 'skipped',   now() - interval '10 days',  now() - interval '10 days',  '[]', null),
  ('cron', 'auto', 'succeeded', now() - interval '5 days',   now() - interval '5 days',   '[]', null);
select matches((select command from cron.job where jobname = 'sync-customer-sales-cleanup'), 'ploomes_sync\.prune_runs\(\)',
  'the daily cleanup job prunes the runs');
do $$ begin execute (select command from cron.job where jobname = 'sync-customer-sales-cleanup'); end $$;
select is(
  array(select r.status || ' ' || extract(day from now() - r.started_at)::int from ploomes_sync.runs r order by r.started_at),
  array['failed 90', 'skipped 10', 'succeeded 5'],
  'the cleanup keeps the runs within 30 days and the latest failure (90 days old); the latest success is the 5-day one');
select is((select count(*)::int from ploomes_sync.runs where rejects @> '[{"id": 1}]'), 0, 'the old run''s rejects went with it');

update ploomes_sync.state set sync_run_retention_days = 1;
delete from ploomes_sync.runs where status = 'succeeded';
insert into ploomes_sync.runs (trigger, requested_mode, status, started_at, finished_at) values
  ('cron', 'auto', 'succeeded', now() - interval '300 days', now() - interval '300 days');
select ploomes_sync.prune_runs();
select is(
  array(select r.status from ploomes_sync.runs r order by r.started_at),
  array['succeeded', 'failed'],
  'the latest success stays, however old; so does the latest failure');
select throws_ok($$update ploomes_sync.state set sync_run_retention_days = 0$$, '23514', null, 'the retention is at least a day');
select is((select sync_run_retention_days from ploomes_sync.state), 1, 'the setting is a column of ploomes_sync.state');

select * from finish();
rollback;
