-- The sync's SQL API and private schema: who may execute / read what (docs/deploy.md).
-- Catalog checks are written over *every* function / table of the schemas, so a function added
-- later without its revoke/grant, or without `search_path = ''`, fails here.
begin;
set local search_path = extensions, public;
select plan(64);

-- Clean the state the behavioural checks rely on (all rolled back at the end).
\i supabase/tests/support/reset_sync_state.sql

-- ---------------------------------------------------------------------------------------------
-- The API exists with the signatures the Edge Function calls.
select has_function('public', 'sync_claim', array['text', 'text', 'boolean', 'integer', 'numeric', 'integer', 'text'], 'sync_claim exists');
-- sync_ingest_page(run, deals, position, rejects, warnings, client, lease_seconds, range)
select has_function('public', 'sync_ingest_page', array['bigint', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'integer', 'integer'], 'sync_ingest_page exists');
-- sync_finish_pass(run, client, max_reject_ratio, max_delete_ratio)
select has_function('public', 'sync_finish_pass', array['bigint', 'jsonb', 'numeric', 'numeric'], 'sync_finish_pass exists');
select has_function('public', 'sync_heartbeat', array['bigint', 'integer', 'jsonb'], 'sync_heartbeat exists');
select has_function('public', 'sync_allow_mass_delete', array[]::text[], 'sync_allow_mass_delete exists');
-- The replaced signatures are gone: no stale overload keeps old grants or old behaviour.
select hasnt_function('public', 'sync_ingest_page', array['bigint', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'integer'],
  'the sync_ingest_page without p_range is dropped');
select hasnt_function('public', 'sync_ingest_page', array['bigint', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'integer'],
  'the old sync_ingest_page(..., p_client, p_lease_seconds) is dropped');
select hasnt_function('public', 'sync_finish_pass', array['bigint', 'jsonb', 'numeric'], 'the old sync_finish_pass is dropped');
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
  array['ploomes_sync.customer_sales_for_reader()', 'ploomes_sync.health()', 'ploomes_sync.reader_access()']::text[],
  'no ploomes_sync function is executable by authenticated but health(), reader_access() (customer_sales'' policy) and customer_sales_for_reader() (customer_sales_masked)');
-- The schedule's and the alerts' internals read Vault: only pg_cron's job owner runs them
-- (service_role goes through public.trigger_customer_sales_sync instead).
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.pronamespace = 'ploomes_sync'::regnamespace and not has_function_privilege('service_role', p.oid, 'EXECUTE')),
  array['ploomes_sync.alert_prefix()', 'ploomes_sync.alert_timeout_ms()', 'ploomes_sync.alert_webhook_url()',
        'ploomes_sync.assumed_schedule_period()', 'ploomes_sync.clear_served_webhook_events()',
        'ploomes_sync.continue_partial_pass()', 'ploomes_sync.describe_interval(interval)',
        'ploomes_sync.evaluate_alerts()', 'ploomes_sync.post_alert(text,text)',
        'ploomes_sync.request_timeout_ms()', 'ploomes_sync.schedule_period()',
        'ploomes_sync.send_sync_request(text,text)', 'ploomes_sync.stuck_after()', 'ploomes_sync.sync_problems()',
        'ploomes_sync.vault_value(text)', 'ploomes_sync.wake_webhook_drain()', 'ploomes_sync.webhook_retry_after()']::text[],
  'every ploomes_sync function but the internals of the schedule, the alerts and the webhook wake-up is executable by service_role');

-- search_path pinned to '' everywhere (every function schema-qualifies names).
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'ploomes_sync'::regnamespace)
      and not coalesce(p.proconfig @> array['search_path=""'], false)),
  '{}'::text[], 'every function in public and ploomes_sync sets search_path = ''''');
-- SECURITY DEFINER only where it is the point: the health aggregates, the masked view's rows
-- (read past customer_sales' policy, masked per reader), the manual trigger and the webhook queue's
-- entry (both read Vault on behalf of service_role).
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text), '{}') from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'ploomes_sync'::regnamespace) and p.prosecdef),
  array['ploomes_sync.customer_sales_for_reader()', 'ploomes_sync.health()', 'trigger_customer_sales_sync(text)',
        'webhook_enqueue(bigint,text)']::text[],
  'only health(), customer_sales_for_reader(), trigger_customer_sales_sync() and webhook_enqueue() (which wakes the sync through Vault) are SECURITY DEFINER');

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
select is(
  (select count(*)::int from pg_class c
    where c.relnamespace = 'ploomes_sync'::regnamespace and c.relkind = 'r'
      and c.relname in ('passes', 'runs', 'state', 'deals', 'dirty_customers', 'rejected_deals')),
  6, 'the checks above covered the six ploomes_sync tables (passes, runs, state, deals, dirty_customers, rejected_deals)');
select is(
  (select coalesce(array_agg(c.oid::regclass::text order by c.oid::regclass::text), '{}') from pg_class c
    where c.relnamespace = 'ploomes_sync'::regnamespace and c.relkind in ('r', 'p')
      and not has_table_privilege('service_role', c.oid, 'SELECT, INSERT, UPDATE, DELETE')),
  array['ploomes_sync.incidents', 'ploomes_sync.sync_requests']::text[],
  'service_role may read and write every ploomes_sync table but the schedule''s own (incidents, sync_requests: only the job owner writes them)');
select ok(not has_schema_privilege('anon', 'ploomes_sync', 'USAGE'), 'anon has no USAGE on schema ploomes_sync');

-- ---------------------------------------------------------------------------------------------
-- What the data-safety migrations added, named one by one (the catalog-wide checks above would
-- also catch them; these say which object broke).
create temp table t_new_fn (f regprocedure primary key) on commit drop;
insert into t_new_fn values
  ('public.sync_ingest_page(bigint, jsonb, jsonb, jsonb, jsonb, jsonb, integer, integer)'),
  ('ploomes_sync.stage_gone_deals(ploomes_sync.passes, integer, jsonb, bigint[])'),
  ('ploomes_sync.pass_ranges(jsonb)'),
  ('ploomes_sync.check_ranges(ploomes_sync.passes)'),
  ('ploomes_sync.fail_pass_at_guard(bigint, bigint, text, text)'),
  ('ploomes_sync.min_finish_lease_seconds()'),
  ('ploomes_sync.mask_document(text)'),
  ('ploomes_sync.without_payload(text)'),
  ('ploomes_sync.prune_runs()'),
  ('public.sync_finish_pass(bigint, jsonb, numeric, numeric)'),
  ('public.sync_heartbeat(bigint, integer, jsonb)'),
  ('public.sync_allow_mass_delete()'),
  ('ploomes_sync.parse_deals(jsonb)'),
  ('ploomes_sync.store_deals(bigint, boolean, jsonb, timestamptz)'),
  ('ploomes_sync.refusal_reason(text, text)'),
  ('ploomes_sync.max_customer_money()'),
  ('ploomes_sync.customer_document(integer, text, text)'),
  ('ploomes_sync.recompute_customers(bigint[], boolean, timestamptz)');
select results_eq(
  $$select f::text, has_function_privilege('anon', f, 'EXECUTE'), has_function_privilege('authenticated', f, 'EXECUTE'),
           has_function_privilege('service_role', f, 'EXECUTE')
      from pg_temp.t_new_fn order by 1$$,
  $$select f::text, false, false, true from pg_temp.t_new_fn order by 1$$,
  'each new function: EXECUTE for service_role only (not anon, not authenticated)');
select is(
  (select coalesce(array_agg(n.f::text order by n.f::text), '{}') from pg_temp.t_new_fn n join pg_proc p on p.oid = n.f
    where (select bool_or(a.grantee = 0) from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a)),
  '{}'::text[], 'no new function keeps the default EXECUTE for PUBLIC');
select is(
  (select coalesce(array_agg(n.f::text order by n.f::text), '{}') from pg_temp.t_new_fn n join pg_proc p on p.oid = n.f
    where not coalesce(p.proconfig @> array['search_path=""'], false) or p.prosecdef),
  '{}'::text[], 'each new function sets search_path = '''' and is not SECURITY DEFINER');
select is(
  (select row(p.prosecdef, p.proconfig @> array['search_path=""'])::text from pg_proc p where p.oid = 'ploomes_sync.health()'::regprocedure),
  row(true, true)::text, 'the rebuilt ploomes_sync.health() is still SECURITY DEFINER with search_path = ''''');

select table_privs_are('ploomes_sync', 'rejected_deals', 'anon', array[]::text[], 'anon has no privilege on rejected_deals');
select table_privs_are('ploomes_sync', 'rejected_deals', 'authenticated', array[]::text[],
  'authenticated has no privilege on rejected_deals');
select ok(has_table_privilege('service_role', 'ploomes_sync.rejected_deals', 'SELECT, INSERT, UPDATE, DELETE'),
  'service_role reads and writes rejected_deals');
select ok((select c.relrowsecurity from pg_class c where c.oid = 'ploomes_sync.rejected_deals'::regclass),
  'RLS is enabled on rejected_deals');
select col_type_is('public', 'sync_health', 'rejected_deals', 'integer', 'sync_health.rejected_deals is an integer');
select is(
  (select array_agg(a.attname::text order by a.attnum) from pg_attribute a
    where a.attrelid = 'public.sync_health'::regclass and a.attnum > 0),
  array['last_success_at', 'last_failure_at', 'last_failure_error', 'last_failure_hint', 'consecutive_failures',
        'data_age', 'last_run_status', 'last_run_at', 'pass_in_progress', 'running', 'rejected_deals',
        'line_items_source', 'line_items_reason', 'line_items_decided_at', 'webhook_queue_depth',
        'webhook_oldest_event_at'],
  'sync_health columns: new ones come after rejected_deals (the earlier columns keep their order)');

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

-- Two deals rejected right now (as the sync would record them), for the count below.
insert into ploomes_sync.rejected_deals (deal_id, field, reason) values (930100001, 'Amount', 'x'), (930100002, '(row)', 'y');

set local role anon;
select throws_ok($$select public.sync_heartbeat(1)$$, '42501', null, 'anon cannot call sync_heartbeat');
select throws_ok($$select public.sync_allow_mass_delete()$$, '42501', null, 'anon cannot call sync_allow_mass_delete');
select throws_ok($$select * from ploomes_sync.rejected_deals$$, '42501', null, 'anon cannot read rejected_deals');
reset role;

set local role authenticated;
select throws_ok($$select public.sync_claim('manual')$$, '42501', null, 'authenticated cannot call sync_claim');
select throws_ok($$select public.sync_heartbeat(1)$$, '42501', null, 'authenticated cannot call sync_heartbeat');
select throws_ok($$select public.sync_allow_mass_delete()$$, '42501', null, 'authenticated cannot call sync_allow_mass_delete');
select throws_ok($$select public.sync_ingest_page(1, '[]', '{}')$$, '42501', null, 'authenticated cannot call sync_ingest_page');
select throws_ok($$select public.sync_finish_pass(1)$$, '42501', null, 'authenticated cannot call sync_finish_pass');
select throws_ok($$select ploomes_sync.customer_document(1, '11222333000181', null)$$, '42501', null,
  'authenticated cannot call ploomes_sync.customer_document');
select throws_ok($$select * from ploomes_sync.rejected_deals$$, '42501', null, 'authenticated cannot read rejected_deals');
select is((select rejected_deals from public.sync_health), 2, 'authenticated sees the count of rejected deals through sync_health');
select throws_ok($$select public.sync_fail_run(1, 'x')$$, '42501', null, 'authenticated cannot call sync_fail_run');
select throws_ok($$select * from ploomes_sync.runs$$, '42501', null, 'authenticated cannot read ploomes_sync.runs');
select is((select count(*)::int from public.sync_health), 1, 'authenticated reads one sync_health row');
reset role;

-- The claim refused above left no trace (a refused EXECUTE never reaches the function).
select is((select count(*)::int from ploomes_sync.runs), 0, 'refused calls recorded no run');
select is((select mass_delete_allowed_at from ploomes_sync.state), null::timestamptz, 'the refused allowance left no trace');

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
select lives_ok($$select public.sync_heartbeat(current_setting('sync_test.run_id')::bigint, 3600)$$,
  'service_role can heartbeat its run');
select is(public.sync_finish_pass(current_setting('sync_test.run_id')::bigint) ->> 'status', 'succeeded',
  'service_role can finish the pass');
reset role;
select is((select total_sales from public.customer_sales where customer_id = 920000001), 12.50::numeric(15, 2),
  'the pass run as service_role published its customer');
set local role service_role;
select ok(public.sync_allow_mass_delete() ? 'allowedAt', 'service_role can allow a mass delete');
reset role;
select isnt((select mass_delete_allowed_at from ploomes_sync.state), null::timestamptz, '... which sets the allowance');

select * from finish();
rollback;
