-- public.customer_sales: shape (docs/metrics.md), indexes, RLS and grants.
begin;
set local search_path = extensions, public;
select plan(33);

select has_table('public', 'customer_sales', 'customer_sales exists');
select columns_are('public', 'customer_sales', array[
  'customer_id', 'customer_name', 'customer_cnpj', 'total_sales', 'total_deals', 'won_deals',
  'open_deals', 'lost_deals', 'total_revenue', 'average_deal_value', 'products_purchased',
  'total_products', 'first_purchase_date', 'last_purchase_date', 'days_since_last_purchase',
  'has_custom_pricing', 'pricing_history_count', 'last_sync_at', 'created_at', 'updated_at'
], 'exactly the contract columns');

-- Column order is part of the contract with dashboards (select * / Studio).
select is(
  (select array_agg(attname::text order by attnum) from pg_attribute
    where attrelid = 'public.customer_sales'::regclass and attnum > 0 and not attisdropped),
  array[
    'customer_id', 'customer_name', 'customer_cnpj', 'total_sales', 'total_deals', 'won_deals',
    'open_deals', 'lost_deals', 'total_revenue', 'average_deal_value', 'products_purchased',
    'total_products', 'first_purchase_date', 'last_purchase_date', 'days_since_last_purchase',
    'has_custom_pricing', 'pricing_history_count', 'last_sync_at', 'created_at', 'updated_at'
  ]::text[],
  'columns are in contract order');

select col_type_is('public', 'customer_sales', 'customer_id', 'bigint', 'customer_id is bigint');
select col_type_is('public', 'customer_sales', 'customer_name', 'text', 'customer_name is text');
select col_not_null('public', 'customer_sales', 'customer_name', 'customer_name is not null');
select col_type_is('public', 'customer_sales', 'customer_cnpj', 'text', 'customer_cnpj is text');
select col_type_is('public', 'customer_sales', 'total_sales', 'numeric(15,2)', 'total_sales is numeric(15,2)');
select col_type_is('public', 'customer_sales', 'total_deals', 'integer', 'total_deals is integer');
select col_type_is('public', 'customer_sales', 'won_deals', 'integer', 'won_deals is integer');
select col_type_is('public', 'customer_sales', 'total_revenue', 'numeric(15,2)', 'total_revenue is numeric(15,2)');
select col_type_is('public', 'customer_sales', 'average_deal_value', 'numeric(15,2)', 'average_deal_value is numeric(15,2)');
select col_type_is('public', 'customer_sales', 'products_purchased', 'bigint[]', 'products_purchased is bigint[]');
select col_type_is('public', 'customer_sales', 'first_purchase_date', 'timestamp with time zone', 'first_purchase_date is timestamptz');
select col_type_is('public', 'customer_sales', 'days_since_last_purchase', 'integer', 'days_since_last_purchase is integer');
select col_type_is('public', 'customer_sales', 'has_custom_pricing', 'boolean', 'has_custom_pricing is boolean');
select col_type_is('public', 'customer_sales', 'updated_at', 'timestamp with time zone', 'updated_at is timestamptz');

select col_is_pk('public', 'customer_sales', 'customer_id', 'customer_id is the primary key');
select has_index('public', 'customer_sales', 'customer_sales_total_revenue_idx', 'index for revenue sort');
select has_index('public', 'customer_sales', 'customer_sales_last_purchase_date_idx', 'index for recency sort');
select has_index('public', 'customer_sales', 'customer_sales_days_since_last_purchase_idx', 'index for churn sort');
select has_index('public', 'customer_sales', 'customer_sales_customer_cnpj_idx', 'index for CNPJ look-up');

select is(
  (select count(*)::int from pg_attribute a
    where a.attrelid = 'public.customer_sales'::regclass and a.attnum > 0 and not a.attisdropped
      and col_description(a.attrelid, a.attnum) is null),
  0, 'every column carries a comment');

select ok((select relrowsecurity from pg_class where oid = 'public.customer_sales'::regclass), 'RLS is enabled');
select policies_are('public', 'customer_sales', array['customer_sales_select_personal_data'], 'one policy only');
select policy_roles_are('public', 'customer_sales', 'customer_sales_select_personal_data', array['authenticated'], 'the policy is for authenticated');
select policy_cmd_is('public', 'customer_sales', 'customer_sales_select_personal_data', 'select', 'the policy only allows select');

select table_privs_are('public', 'customer_sales', 'anon', array[]::text[], 'anon has no privilege');
select table_privs_are('public', 'customer_sales', 'authenticated', array['SELECT'], 'authenticated may only select');

-- Behaviour, not just catalog entries: try it as each role.
insert into public.customer_sales (customer_id, customer_name) values (900000001, 'pgTAP Ltda');

set local role anon;
select throws_ok('select * from public.customer_sales', '42501', null, 'anon cannot select');
reset role;

-- (Who sees which rows is sync_access.test.sql; here: an allowed reader can select, nobody may write.)
set local role authenticated;
set local request.jwt.claims = '{"role": "authenticated", "app_metadata": {"customer_sales": "personal_data"}}';
select is((select count(*)::int from public.customer_sales where customer_id = 900000001), 1, 'an allowed reader can select');
select throws_ok($$update public.customer_sales set customer_name = 'x'$$, '42501', null, 'authenticated cannot write');
reset role;

set local role service_role;
select lives_ok($$update public.customer_sales set total_deals = 1 where customer_id = 900000001$$, 'service_role can write');
reset role;

select * from finish();
rollback;
