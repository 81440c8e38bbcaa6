-- The sync's SQL API and private schema: who may execute / read what (DESIGN §3.2, §3.3).
-- Catalog checks are written over *every* function / table of the schemas, so a function added
-- later without its revoke/grant, or without `search_path = ''`, fails here.
begin;
set local search_path = extensions, public;
select plan(35);

-- Clean the state the behavioural checks rely on (all rolled back at the end).
\i supabase/tests/support/reset_sync_state.sql

-- ---------------------------------------------------------------------------------------------
-- The API exists with the signatures the Edge Function calls.
select has_function('public', 'sync_claim', array['text', 'text', 'boolean', 'integer', 'numeric', 'integer', 'text'], 'sync_claim exists');
select has_function('public', 'sync_ingest_page', array['bigint', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'integer'], 'sync_ingest_page exists');
select has_function('public', 'sync_finish_pass', array['bigint', 'jsonb', 'numeric'], 'sync_finish_pass exists');
select has_function('public', 'sync_end_partial', array['bigint', 'jsonb'], 'sync_end_partial exists');
select has_function('public', 'sync_fail_run', array['bigint', 'text', 'text', 'integer', 'jsonb'], 'sync_fail_run exists');
select has_function('public', 'sync_disable_products', array['bigint', 'text'], 'sync_disable_products exists');
select has_view('public', 'sync_health', 'sync_health view exists');

-- ---------------------------------------------------------------------------------------------
-- EXECUTE on public.sync_*: service_role only.
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname like 'sync\_%'
      and (has_function_privilege('anon', p.oid, 'EXECUTE') or has_function_privilege('authenticated', p.oid, 'EXECUTE'))),
  '{}'::text[], 'no public.sync_* function is executable by anon or authenticated');
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname like 'sync\_%'
      and not has_function_privilege('service_role', p.oid, 'EXECUTE')),
  '{}'::text[], 'every public.sync_* function is executable by service_role');
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname like 'sync\_%'
      and (select bool_or(a.grantee = 0) from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a)),
  '{}'::text[], 'no public.sync_* function keeps the default EXECUTE for PUBLIC');

-- EXECUTE on ploomes_sync.*: service_role only. The single deliberate exception is
-- ploomes_sync.health(), which the security_invoker view public.sync_health calls on behalf of
-- signed-in users (it returns aggregates only).
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.pronamespace = 'ploomes_sync'::regnamespace and has_function_privilege('anon', p.oid, 'EXECUTE')),
  '{}'::text[], 'no ploomes_sync function is executable by anon');
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.pronamespace = 'ploomes_sync'::regnamespace and has_function_privilege('authenticated', p.oid, 'EXECUTE')),
  array['ploomes_sync.health()']::text[], 'no ploomes_sync function but health() is executable by authenticated');
-- The schedule's internals read Vault: only pg_cron's job owner runs them (service_role goes
-- through public.trigger_customer_sales_sync instead).
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.pronamespace = 'ploomes_sync'::regnamespace and not has_function_privilege('service_role', p.oid, 'EXECUTE')),
  array['ploomes_sync.continue_partial_pass()', 'ploomes_sync.request_timeout_ms()',
        'ploomes_sync.send_sync_request(text,text)', 'ploomes_sync.vault_value(text)']::text[],
  'every ploomes_sync function but the schedule''s internals is executable by service_role');

-- search_path pinned to '' everywhere (DESIGN §3: every function schema-qualifies names).
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'ploomes_sync'::regnamespace)
      and not coalesce(p.proconfig @> array['search_path=""'], false)),
  '{}'::text[], 'every function in public and ploomes_sync sets search_path = ''''');
-- SECURITY DEFINER only where it is the point: the health aggregates, and the manual trigger
-- (which reads Vault on behalf of service_role).
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'ploomes_sync'::regnamespace) and p.prosecdef),
  array['ploomes_sync.health()', 'trigger_customer_sales_sync(text)']::text[],
  'only ploomes_sync.health() and trigger_customer_sales_sync() are SECURITY DEFINER');

-- ---------------------------------------------------------------------------------------------
-- ploomes_sync tables: invisible to anon/authenticated, RLS on, service_role reads and writes.
select is(
  (select coalesce(array_agg(c.oid::regclass::text order by c.oid::regclass::text), '{}') from pg_class c
    where c.relnamespace = 'ploomes_sync'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
      and (has_table_privilege('anon', c.oid, 'SELECT') or has_table_privilege('authenticated', c.oid, 'SELECT'))),
  '{}'::text[], 'no ploomes_sync table is selectable by anon or authenticated');
select is(
  (select coalesce(array_agg(c.oid::regclass::text order by c.oid::regclass::text), '{}') from pg_class c
    where c.relnamespace = 'ploomes_sync'::regnamespace and c.relkind in ('r', 'p')
      and (has_table_privilege('anon', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
           or has_table_privilege('authenticated', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))),
  '{}'::text[], 'no ploomes_sync table is writable by anon or authenticated');
select is(
  (select coalesce(array_agg(c.oid::regclass::text order by c.oid::regclass::text), '{}') from pg_class c
    where c.relnamespace = 'ploomes_sync'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity),
  '{}'::text[], 'RLS is enabled on every ploomes_sync table');
select ok(
  (select count(*) >= 5 from pg_class c
    where c.relnamespace = 'ploomes_sync'::regnamespace and c.relkind = 'r'
      and c.relname in ('passes', 'runs', 'state', 'deals', 'dirty_customers')),
  'the checks above covered the five ploomes_sync tables (passes, runs, state, deals, dirty_customers)');
select is(
  (select coalesce(array_agg(c.oid::regclass::text order by c.oid::regclass::text), '{}') from pg_class c
    where c.relnamespace = 'ploomes_sync'::regnamespace and c.relkind in ('r', 'p')
      and not has_table_privilege('service_role', c.oid, 'SELECT, INSERT, UPDATE, DELETE')),
  '{}'::text[], 'service_role may read and write every ploomes_sync table');
select ok(not has_schema_privilege('anon', 'ploomes_sync', 'USAGE'), 'anon has no USAGE on schema ploomes_sync');

-- public.sync_health: a dashboard badge for signed-in users, nothing for anon.
select ok(has_table_privilege('authenticated', 'public.sync_health', 'SELECT'), 'authenticated may select sync_health');
select ok(not has_table_privilege('anon', 'public.sync_health', 'SELECT'), 'anon may not select sync_health');
select ok(
  (select c.reloptions @> array['security_invoker=true'] from pg_class c where c.oid = 'public.sync_health'::regclass),
  'sync_health is a security_invoker view');

-- ---------------------------------------------------------------------------------------------
-- Behaviour: try it as each role.
set local role anon;
select throws_ok($$select public.sync_claim('manual')$$, '42501', null, 'anon cannot call sync_claim');
select throws_ok($$select * from public.sync_health$$, '42501', null, 'anon cannot read sync_health');
select throws_ok($$select * from ploomes_sync.health()$$, '42501', null, 'anon cannot call ploomes_sync.health()');
reset role;

set local role authenticated;
select throws_ok($$select public.sync_claim('manual')$$, '42501', null, 'authenticated cannot call sync_claim');
select throws_ok($$select public.sync_fail_run(1, 'x')$$, '42501', null, 'authenticated cannot call sync_fail_run');
select throws_ok($$select * from ploomes_sync.runs$$, '42501', null, 'authenticated cannot read ploomes_sync.runs');
select is((select count(*)::int from public.sync_health), 1, 'authenticated reads one sync_health row');
reset role;

-- The claim refused above left no trace (a refused EXECUTE never reaches the function).
select is((select count(*)::int from ploomes_sync.runs), 0, 'refused calls recorded no run');

-- service_role, the Edge Function's role, can drive a whole pass through the API.
set local role service_role;
do $$ begin
  perform set_config('sync_test.run_id', public.sync_claim('cli', p_lease_seconds => 3600) ->> 'runId', true);
end $$;
select lives_ok(
  $$select public.sync_ingest_page(current_setting('sync_test.run_id')::bigint,
      '[{"id": 910000001, "contact_id": 920000001, "contact_name": "Role Test Ltda", "status_id": 2, "amount": 12.5,
         "finish_date": "2024-03-07T12:39:44.957-03:00", "last_update_date": "2024-03-07T12:39:44.957-03:00",
         "last_update_raw": "2024-03-07T12:39:44.957-03:00", "line_items": []}]'::jsonb,
      '{"lastId": 910000001}'::jsonb)$$,
  'service_role can ingest a page');
select is(public.sync_finish_pass(current_setting('sync_test.run_id')::bigint) ->> 'status', 'succeeded',
  'service_role can finish the pass');
reset role;
select is((select total_sales from public.customer_sales where customer_id = 920000001), 12.50::numeric(15, 2),
  'the pass run as service_role published its customer');

select * from finish();
rollback;
