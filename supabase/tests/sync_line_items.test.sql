-- Line items from orders or quotes (20261201001000, 20261201001100; docs/metrics.md, "Where line
-- items come from"). Every expected value is a literal computed by hand in the comments.
--   1  ploomes_sync.deal_lines under each source (documents inserted directly)
--   2  public.sync_line_items: the plan, recording a choice once per pass, invalid sources
--   3  public.sync_ingest_documents: counts, newer-than guard, dirty customers, gone documents
--      staged per span, the kind checked against the pass's source, dry runs
--   4  public.sync_finish_pass: orders put in force (every customer recomputed), a gone order
--      swept, the documents mass-delete guard and its allowance, the documents reject guard,
--      back to deals
--   5  run_summary and public.sync_health
--
-- Deals (as L0 and every later deals page send them; each won deal carries its own lines):
--   6001 customer 301 won  100  own lines [1: 100]
--   6002 customer 302 won   50  own lines []
--   6003 customer 303 open  70  own lines [3: 70]
--   6004 customer 304 won   40  own lines [4: 40]
--   6005 customer 301 won   30  own lines [5: 30]
-- Orders (product: total; every line at its catalog price unless said otherwise):
--   801 deal 6001 [11: 50 (2 x 25), 12: 20]
--   802 deal 6002 v1 [21: 40]; v2 (newer) [21: 45 (50 with 10 % off, catalog 50: custom), 11: 5]
--   803 deal 6002 [22: 10]                  (gone in L2)
--   804 deal 6001 [13: 15]                  (moves to deal 6004 in L2)
--   805 deal 6003 [31: 99]                  (an open deal's order: counts for nobody)
--   806 deal 6005 []                        (no lines: the deal counts its Amount)
--   807 deal 9999 [41: 1000]                (its deal is not mirrored: counts for nobody)
begin;
set local search_path = extensions, public;
select plan(118);

\i supabase/tests/support/reset_sync_state.sql
-- The line-item source and the documents, as freshly migrated (reset_sync_state.sql may do it too).
update ploomes_sync.state
   set line_items_source = 'deals', line_items_reason = null, line_items_decided_at = null, quote_approved_status_id = 2;
delete from ploomes_sync.deal_documents;

create temp table t_call (k text primary key, res jsonb not null) on commit drop;
create temp table t_snap (k text primary key, v jsonb) on commit drop;
create function pg_temp.res(p_k text) returns jsonb language sql stable
  as $$ select c.res from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.run_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'runId')::bigint from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.pass_id(p_k text) returns bigint language sql stable
  as $$ select (c.res ->> 'passId')::bigint from pg_temp.t_call c where c.k = p_k $$;
create function pg_temp.pass_start(p_k text) returns timestamptz language sql stable
  as $$ select p.started_at from ploomes_sync.passes p where p.id = pg_temp.pass_id(p_k) $$;
create function pg_temp.snap(p_k text) returns jsonb language sql stable
  as $$ select s.v from pg_temp.t_snap s where s.k = p_k $$;
create function pg_temp.customers() returns jsonb language sql stable
  as $$ select coalesce(jsonb_agg(to_jsonb(c) order by c.customer_id), '[]') from public.customer_sales c $$;
create function pg_temp.documents() returns jsonb language sql stable
  as $$ select coalesce(jsonb_agg(to_jsonb(d) order by d.kind, d.document_id), '[]') from ploomes_sync.deal_documents d $$;
create function pg_temp.order_ids() returns bigint[] language sql stable
  as $$ select coalesce(array_agg(d.document_id order by d.document_id), '{}') from ploomes_sync.deal_documents d where d.kind = 'orders' $$;
create function pg_temp.dirty() returns bigint[] language sql stable
  as $$ select coalesce(array_agg(c.customer_id order by c.customer_id), '{}') from ploomes_sync.dirty_customers c $$;
create function pg_temp.gone_documents(p_k text) returns bigint[] language sql stable as $$
  select coalesce(array_agg(g.document_id order by g.document_id), '{}') from ploomes_sync.pass_gone_documents g
   where g.pass_id = pg_temp.pass_id(p_k) $$;
-- The line-item columns of every customer, as text rows for results_eq.
create function pg_temp.metrics() returns table (customer_id bigint, total_sales numeric, total_revenue numeric,
                                                 products_purchased bigint[], total_products integer, pricing_history_count integer)
language sql stable as $$
  select c.customer_id, c.total_sales, c.total_revenue, c.products_purchased, c.total_products, c.pricing_history_count
    from public.customer_sales c order by c.customer_id
$$;

create function pg_temp.item(p_product bigint, p_total numeric) returns jsonb language sql immutable as $$
  select jsonb_build_object('product_id', p_product, 'quantity', 1, 'unit_price', p_total, 'discount', 0,
                            'total', p_total, 'catalog_unit_price', p_total)
$$;
create function pg_temp.item(p_product bigint, p_quantity numeric, p_unit numeric, p_discount numeric, p_total numeric, p_catalog numeric)
returns jsonb language sql immutable as $$
  select jsonb_build_object('product_id', p_product, 'quantity', p_quantity, 'unit_price', p_unit, 'discount', p_discount,
                            'total', p_total, 'catalog_unit_price', p_catalog)
$$;
create function pg_temp.deal(p_id bigint, p_contact bigint, p_status integer, p_amount numeric, p_updated text, p_items jsonb)
returns jsonb language sql immutable as $$
  select jsonb_build_object(
    'id', p_id, 'contact_id', p_contact, 'contact_name', 'Cliente ' || p_contact, 
    'contact_type_id', 1, 'contact_cnpj', null, 'contact_cpf', null, 'status_id', p_status, 'amount', p_amount,
    'create_date', p_updated, 'finish_date', case when p_status = 2 then p_updated end,
    'last_update_date', p_updated, 'last_update_raw', p_updated, 'line_items', p_items)
$$;
create function pg_temp.deals() returns jsonb language sql immutable as $$
  select jsonb_build_array(
    pg_temp.deal(6001, 301, 2, 100, '2024-01-01T10:00:00-03:00', jsonb_build_array(pg_temp.item(1, 100))),
    pg_temp.deal(6002, 302, 2, 50, '2024-01-02T10:00:00-03:00', '[]'::jsonb),
    pg_temp.deal(6003, 303, 1, 70, '2024-01-03T10:00:00-03:00', jsonb_build_array(pg_temp.item(3, 70))),
    pg_temp.deal(6004, 304, 2, 40, '2024-01-04T10:00:00-03:00', jsonb_build_array(pg_temp.item(4, 40))),
    pg_temp.deal(6005, 301, 2, 30, '2024-01-05T10:00:00-03:00', jsonb_build_array(pg_temp.item(5, 30))))
$$;
-- An order or quote as the Edge Function sends it (document-payload.ts).
create function pg_temp.doc(p_id bigint, p_deal bigint, p_updated text, p_items jsonb,
                            p_review integer default null, p_last_review boolean default null, p_approval integer default null)
returns jsonb language sql immutable as $$
  select jsonb_build_object('id', p_id, 'deal_id', p_deal, 'review_number', p_review, 'last_review', p_last_review,
                            'approval_status_id', p_approval, 'last_update_date', p_updated, 'last_update_raw', p_updated,
                            'line_items', p_items)
$$;
create function pg_temp.o(p_name text) returns jsonb language sql immutable as $$
  select case p_name
    when '801' then pg_temp.doc(801, 6001, '2024-02-01T10:00:00-03:00',
                                jsonb_build_array(pg_temp.item(11, 2, 25, 0, 50, 25), pg_temp.item(12, 20)))
    when '801old' then pg_temp.doc(801, 6001, '2024-01-15T10:00:00-03:00', jsonb_build_array(pg_temp.item(99, 999)))
    when '801dry' then pg_temp.doc(801, 6001, '2024-03-01T10:00:00-03:00', jsonb_build_array(pg_temp.item(11, 1)))
    when '802v1' then pg_temp.doc(802, 6002, '2024-02-02T10:00:00-03:00', jsonb_build_array(pg_temp.item(21, 40)))
    when '802' then pg_temp.doc(802, 6002, '2024-02-03T10:00:00-03:00',
                                jsonb_build_array(pg_temp.item(21, 1, 50, 10, 45, 50), pg_temp.item(11, 5)))
    when '803' then pg_temp.doc(803, 6002, '2024-02-04T10:00:00-03:00', jsonb_build_array(pg_temp.item(22, 10)))
    when '804' then pg_temp.doc(804, 6001, '2024-02-05T10:00:00-03:00', jsonb_build_array(pg_temp.item(13, 15)))
    when '804moved' then pg_temp.doc(804, 6004, '2024-03-05T10:00:00-03:00', jsonb_build_array(pg_temp.item(13, 15)))
    when '805' then pg_temp.doc(805, 6003, '2024-02-06T10:00:00-03:00', jsonb_build_array(pg_temp.item(31, 99)))
    when '806' then pg_temp.doc(806, 6005, '2024-02-07T10:00:00-03:00', '[]'::jsonb)
    when '807' then pg_temp.doc(807, 9999, '2024-02-08T10:00:00-03:00', jsonb_build_array(pg_temp.item(41, 1000)))
    when '808' then pg_temp.doc(808, 6004, '2024-03-08T10:00:00-03:00', jsonb_build_array(pg_temp.item(51, 1)))
  end
$$;
create function pg_temp.os(p_names text[]) returns jsonb language sql immutable
  as $$ select jsonb_agg(pg_temp.o(n) order by i) from unnest(p_names) with ordinality u(n, i) $$;

-- A full pass's claim and its (always identical) deals page, as one range up to 6005.
create function pg_temp.claim(p_k text, p_mode text default 'full', p_trigger text default 'manual') returns void language sql as $$
  insert into pg_temp.t_call values (p_k, public.sync_claim(p_trigger, p_mode, false, 3600, 168, 300, 'https://l.example'));
  insert into pg_temp.t_call values (p_k || '.deals', public.sync_ingest_page(pg_temp.run_id(p_k), pg_temp.deals(),
    '{"lastId": 6005}', p_lease_seconds => 3600));
$$;
create function pg_temp.choose(p_k text, p_choice jsonb) returns jsonb language sql
  as $$ select public.sync_line_items(pg_temp.run_id(p_k), p_choice) $$;
create function pg_temp.docs(p_k text, p_run text, p_kind text, p_docs jsonb, p_position jsonb, p_range integer default null,
                             p_rejects jsonb default '[]') returns void language sql as $$
  insert into pg_temp.t_call values (p_k, public.sync_ingest_documents(pg_temp.run_id(p_run), p_kind, p_docs, p_position,
    p_range => p_range, p_rejects => p_rejects, p_lease_seconds => 3600))
$$;
-- Calls sync_finish_pass until it stops answering `running` (at most 20 times); stores the last answer as <run>.end.
create function pg_temp.finish(p_run text, p_max_delete numeric default 0.1, p_max_reject numeric default 0.01) returns text
language plpgsql as $$
declare
  v_calls integer := 0;
  v_res jsonb;
begin
  loop
    v_res := public.sync_finish_pass(pg_temp.run_id(p_run), p_max_reject_ratio => p_max_reject, p_max_delete_ratio => p_max_delete);
    v_calls := v_calls + 1;
    exit when v_res ->> 'status' <> 'running' or v_calls >= 20;
  end loop;
  insert into pg_temp.t_call values (p_run || '.end', v_res);
  return v_res ->> 'status';
end $$;
-- Two ranges of the orders walk: (-inf, 804] at p_after0 and (804, +inf) at p_after1.
create function pg_temp.ranges(p_after0 bigint, p_after1 bigint) returns jsonb language sql immutable as $$
  select jsonb_build_object('ranges', jsonb_build_array(
    jsonb_build_object('from', null, 'to', 804, 'after', p_after0),
    jsonb_build_object('from', 804, 'to', null, 'after', p_after1)))
$$;

-- =============================================================================================
-- 1. deal_lines, on documents inserted directly (deals 71xx are not mirrored; removed after).
create function pg_temp.put(p_kind text, p_id bigint, p_deal bigint, p_review integer, p_last_review boolean, p_approval integer)
returns void language sql as $$
  insert into ploomes_sync.deal_documents (kind, document_id, deal_id, review_number, last_review, approval_status_id,
                                           last_update_date, last_update_raw, line_items)
  values (p_kind, p_id, p_deal, p_review, p_last_review, p_approval, '2024-01-01T13:00:00Z', '2024-01-01T10:00:00-03:00',
          jsonb_build_array(pg_temp.item(p_id, p_id)))
$$;
create function pg_temp.lines(p_deal bigint, p_source text, p_approved integer default 2) returns jsonb language sql stable
  as $$ select ploomes_sync.deal_lines(p_deal, '[{"product_id": 1, "total": 1}]'::jsonb, p_source, p_approved) $$;
-- The products of a source's lines for a deal, in order.
create function pg_temp.products(p_deal bigint, p_source text, p_approved integer default 2) returns bigint[] language sql stable
  as $$ select array(select (l ->> 'product_id')::bigint from jsonb_array_elements(pg_temp.lines(p_deal, p_source, p_approved)) l) $$;

-- Deal 7001: orders 30 [30], 10 (two lines: 10 and 11), 20 [] and a quote 5 [5]; deal 7002: order 40.
select pg_temp.put('orders', 30, 7001, null, null, null);
insert into ploomes_sync.deal_documents (kind, document_id, deal_id, last_update_date, last_update_raw, line_items)
values ('orders', 10, 7001, '2024-01-01T13:00:00Z', '2024-01-01T10:00:00-03:00', jsonb_build_array(pg_temp.item(10, 10), pg_temp.item(11, 11))),
       ('orders', 20, 7001, '2024-01-01T13:00:00Z', '2024-01-01T10:00:00-03:00', '[]');
select pg_temp.put('quotes', 5, 7001, 1, true, 2);
select pg_temp.put('orders', 40, 7002, null, null, null);
-- Quotes (id: approval status, LastReview, ReviewNumber):
--   deal 7101: 101 (2, false, 1), 102 (1, false, 3), 103 (null, null, 5), 104 (null, true, 2)
--   deal 7102: 105 (1, false, 2), 106 (null, false, 4)
--   deal 7103: 108 (null, null, 1), 109 (null, null, 1), 110 (null, null, null)
--   deal 7104: 111 (2, false, 9), 112 (2, true, 1)
--   deal 7106: 115 (null, false, 1), 116 (null, null, 5)
--   deal 7107: 117 (1, false, 5), 118 (3, true, 1), 119 (1, false, 7)
--   deal 7108: 120 (1, false, 5), 121 (3, false, 7)
-- A status other than the approved one, like no status, is "not approved"; LastReview false, like
-- no LastReview, is "not the current revision" (docs/metrics.md gives no other order).
select pg_temp.put('quotes', 101, 7101, 1, false, 2), pg_temp.put('quotes', 102, 7101, 3, false, 1),
       pg_temp.put('quotes', 103, 7101, 5, null, null), pg_temp.put('quotes', 104, 7101, 2, true, null),
       pg_temp.put('quotes', 105, 7102, 2, false, 1), pg_temp.put('quotes', 106, 7102, 4, false, null),
       pg_temp.put('quotes', 108, 7103, 1, null, null), pg_temp.put('quotes', 109, 7103, 1, null, null),
       pg_temp.put('quotes', 110, 7103, null, null, null),
       pg_temp.put('quotes', 111, 7104, 9, false, 2), pg_temp.put('quotes', 112, 7104, 1, true, 2),
       pg_temp.put('quotes', 115, 7106, 1, false, null), pg_temp.put('quotes', 116, 7106, 5, null, null),
       pg_temp.put('quotes', 117, 7107, 5, false, 1), pg_temp.put('quotes', 118, 7107, 1, true, 3),
       pg_temp.put('quotes', 119, 7107, 7, false, 1),
       pg_temp.put('quotes', 120, 7108, 5, false, 1), pg_temp.put('quotes', 121, 7108, 7, false, 3);

select is(pg_temp.lines(7001, 'deals'), '[{"product_id": 1, "total": 1}]'::jsonb, 'deal_lines deals: the deal''s own lines');
select is(ploomes_sync.deal_lines(7001, null, 'deals', 2), null, 'deal_lines deals: null own lines stay null');
select is(pg_temp.lines(7001, 'orders'), jsonb_build_array(pg_temp.item(10, 10), pg_temp.item(11, 11), pg_temp.item(30, 30)),
  'deal_lines orders: every line of every order of the deal, by order Id (10: two lines, 20: none, 30: one), no quote, no other deal');
select is(pg_temp.lines(7003, 'orders'), null, 'deal_lines orders: a deal without orders has none (null)');
select is(pg_temp.lines(7001, 'none'), null, 'deal_lines none: null, whatever the deal carries');
select is(pg_temp.lines(7001, 'quotes'), jsonb_build_array(pg_temp.item(5, 5)), 'deal_lines quotes: the deal''s quote, never its orders');
select is(pg_temp.products(7101, 'quotes'), '{101}'::bigint[],
  'deal_lines quotes: the approved quote (status 2) first, before LastReview and higher ReviewNumbers');
select is(pg_temp.products(7101, 'quotes', 1), '{102}'::bigint[], 'deal_lines quotes: "approved" is the status id given (1 here)');
select is(pg_temp.products(7107, 'quotes'), '{118}'::bigint[],
  'deal_lines quotes: none approved (statuses 1 and 3): the current revision (LastReview), before higher ReviewNumbers');
select is(pg_temp.products(7108, 'quotes'), '{121}'::bigint[],
  'deal_lines quotes: none approved nor LastReview (statuses 1 and 3): the highest ReviewNumber');
-- The same rules when some quotes carry no status or no LastReview (null).
select is(pg_temp.products(7101, 'quotes', 7), '{104}'::bigint[],
  'deal_lines quotes: none approved (statuses 2, 1, null, null with 7 approved): the current revision (LastReview) 104, not 102 (status 1)');
select is(pg_temp.products(7102, 'quotes'), '{106}'::bigint[],
  'deal_lines quotes: none approved (statuses 1, null), no LastReview: the highest ReviewNumber (106), not 105 for having a status');
select is(pg_temp.products(7106, 'quotes'), '{116}'::bigint[],
  'deal_lines quotes: LastReview false and null are both "not current": the highest ReviewNumber (116), not 115');
select is(pg_temp.products(7103, 'quotes'), '{109}'::bigint[], 'deal_lines quotes: equal ReviewNumbers: the highest Id');
select is(pg_temp.products(7104, 'quotes'), '{112}'::bigint[], 'deal_lines quotes: two approved: the current revision of them');
select is(pg_temp.lines(7002, 'quotes'), null, 'deal_lines quotes: a deal with orders but no quote has none (null)');
select is((select s.quote_approved_status_id from ploomes_sync.state s), 2, 'the approved quote status id defaults to 2');
delete from ploomes_sync.deal_documents;

-- =============================================================================================
-- L0: the first full pass, line items from deals.
select is((select row(h.line_items_source, h.line_items_reason, h.line_items_decided_at)::text from public.sync_health h),
  row('deals', null::text, null::timestamptz)::text, 'health: before any decision, deals is in force (as every earlier version read)');
select pg_temp.claim('L0', 'auto', 'cron');
select is(pg_temp.choose('L0', '{"source": "deals", "reason": "auto: 4 of the 4 latest won deals carry line items (deal Products)"}') ->> 'source',
  'deals', 'L0: the first full pass reads line items from deals');
select is(pg_temp.finish('L0'), 'succeeded', 'L0: succeeds');
-- 301: 6001 [1: 100] + 6005 [5: 30] = 130; 302: 6002 no lines -> Amount 50; 303: open; 304: 6004 [4: 40].
select results_eq($$select * from pg_temp.metrics()$$,
  $$values (301::bigint, 130.00::numeric, 130.00::numeric, '{1,5}'::bigint[], 2, 0), (302, 50.00, 50.00, '{}', 0, 0),
           (303, 0.00, 0.00, '{}', 0, 0), (304, 40.00, 40.00, '{4}', 1, 0)$$,
  'L0: metrics from the deals'' own lines');
select is(pg_temp.res('L0.end') -> 'warnings', '[]'::jsonb, 'L0: deals stays in force: no source-change warning');

-- =============================================================================================
-- 2. sync_line_items. L1: a full pass; PLOOMES_LINE_ITEMS_SOURCE=orders.
select pg_temp.claim('L1');
select is(pg_temp.res('L1.deals') ->> 'unchanged', '5', 'L1: the deals page is unchanged (no customer dirty from deals)');
select throws_ok(
  $$select public.sync_ingest_documents(pg_temp.run_id('L1'), 'orders', pg_temp.os(array['801']), '{"lastId": 801}')$$,
  '22023', format('pass %s reads line items from (not decided), not orders', pg_temp.pass_id('L1')),
  'L1: documents before the source is decided are refused');
select is(pg_temp.choose('L1', null),
  jsonb_build_object('source', null, 'reason', null, 'inForce', 'deals',
                     'inForceReason', 'auto: 4 of the 4 latest won deals carry line items (deal Products)', 'linesPosition', null),
  'sync_line_items without a choice: source null (undecided), deals in force, with its reason, no lines position');
select is(pg_temp.choose('L1', '{"source": "orders", "reason": "PLOOMES_LINE_ITEMS_SOURCE=orders"}'),
  jsonb_build_object('source', 'orders', 'reason', 'PLOOMES_LINE_ITEMS_SOURCE=orders', 'inForce', 'deals',
                     'inForceReason', 'auto: 4 of the 4 latest won deals carry line items (deal Products)', 'linesPosition', null),
  'sync_line_items with a choice: recorded and returned; the source in force is unchanged until the finish');
select is((select row(p.line_items_source, p.line_items_reason)::text from ploomes_sync.passes p where p.id = pg_temp.pass_id('L1')),
  row('orders', 'PLOOMES_LINE_ITEMS_SOURCE=orders')::text, 'the choice is on the pass');
select is((select row(r.line_items_source, r.line_items_reason)::text from ploomes_sync.runs r where r.id = pg_temp.run_id('L1')),
  row('orders', 'PLOOMES_LINE_ITEMS_SOURCE=orders')::text, 'the choice is on the run');
select is(pg_temp.choose('L1', '{"source": "quotes", "reason": "changed my mind"}') ->> 'source', 'orders',
  'a second, different choice answers the pass''s source');
select is((select row(p.line_items_source, p.line_items_reason, r.line_items_source, r.line_items_reason)::text
             from ploomes_sync.passes p join ploomes_sync.runs r on r.pass_id = p.id where r.id = pg_temp.run_id('L1')),
  row('orders', 'PLOOMES_LINE_ITEMS_SOURCE=orders', 'orders', 'PLOOMES_LINE_ITEMS_SOURCE=orders')::text,
  'a pass never changes source midway: pass and run keep orders');
select throws_ok($$select pg_temp.choose('L1', '{"source": "products", "reason": "x"}')$$, '22023',
  'line-item source must be deals, orders, quotes or none, got products', 'an unknown source raises 22023');
select throws_ok($$select pg_temp.choose('L1', '{"reason": "no source"}')$$, '22023',
  'line-item source must be deals, orders, quotes or none, got null', 'a choice without a source raises 22023');

-- =============================================================================================
-- 3. sync_ingest_documents in L1 (the first orders ever: nothing mirrored yet).
select throws_ok(
  $$select public.sync_ingest_documents(pg_temp.run_id('L1'), 'quotes', pg_temp.os(array['801']), '{"lastId": 801}')$$,
  '22023', format('pass %s reads line items from orders, not quotes', pg_temp.pass_id('L1')),
  'documents of another kind than the pass''s source are refused');
select pg_temp.docs('L1.p1', 'L1', 'orders', pg_temp.os(array['801', '802v1', '803', '804']), '{"lastId": 804}');
select is(pg_temp.res('L1.p1'), '{"stored": 4, "inserted": 4, "updated": 0, "unchanged": 0, "rejected": 0}'::jsonb,
  'L1 page 1: four orders inserted');
select is(pg_temp.dirty(), '{301,302}'::bigint[], 'L1 page 1: the customers of the orders'' deals are dirty (801, 804 -> 6001 -> 301; 802, 803 -> 302)');
select is(pg_temp.order_ids(), '{801,802,803,804}'::bigint[], 'L1 page 1: the orders are mirrored');
select is((select row(d.deal_id, d.last_update_date, d.last_update_raw, d.line_items)::text from ploomes_sync.deal_documents d
            where d.kind = 'orders' and d.document_id = 801),
  row(6001::bigint, '2024-02-01T13:00:00Z'::timestamptz, '2024-02-01T10:00:00-03:00', pg_temp.o('801') -> 'line_items')::text,
  'L1 page 1: an order is stored with its deal, dates and lines');

-- The run stops after page 1 (its time budget); L1b continues the pass.
insert into t_call values ('L1.end', public.sync_end_partial(pg_temp.run_id('L1')));
select is(
  (select jsonb_build_object('status', r -> 'status', 'lineItemsSource', r -> 'lineItemsSource', 'documentsFetched', r -> 'documentsFetched')
     from (select pg_temp.res('L1.end') r) x),
  '{"status": "partial", "lineItemsSource": "orders", "documentsFetched": 4}'::jsonb,
  'run_summary: the partial run says where it read line items and how many documents it fetched');
insert into t_call values ('L1b', public.sync_claim('continue', 'auto', false, 3600, 168, 300, 'https://l.example'));
select is(pg_temp.pass_id('L1b'), pg_temp.pass_id('L1'), 'L1b resumes L1''s pass');
-- As the runner does for a pass whose source is decided: the plan, without a choice.
select is(pg_temp.choose('L1b', null) - 'inForceReason',
  '{"source": "orders", "reason": "PLOOMES_LINE_ITEMS_SOURCE=orders", "inForce": "deals", "linesPosition": {"lastId": 804}}'::jsonb,
  'L1b: the plan of the resumed pass: orders, where the orders walk stood');
-- Page 2 (804, 807]: 802 newer (updated), 801 OLDER (newer-than guard: not written), 805..807 new.
select pg_temp.docs('L1b.p2', 'L1b', 'orders', pg_temp.os(array['802', '801old', '805', '806', '807']), '{"lastId": 807}');
select is(pg_temp.res('L1b.p2'), '{"stored": 5, "inserted": 3, "updated": 1, "unchanged": 1, "rejected": 0}'::jsonb,
  'L1b page 2: 3 inserted, 802 updated, the older 801 unchanged');
select is((select d.line_items from ploomes_sync.deal_documents d where d.kind = 'orders' and d.document_id = 801),
  pg_temp.o('801') -> 'line_items', 'newer-than guard: an older LastUpdateDate does not overwrite the mirrored order');
select is((select d.line_items from ploomes_sync.deal_documents d where d.kind = 'orders' and d.document_id = 802),
  pg_temp.o('802') -> 'line_items', 'a newer LastUpdateDate overwrites it');
select is(pg_temp.dirty(), '{301,302,303}'::bigint[],
  'L1b page 2: 302 (802), 303 (805) and 301 (806) dirty; 807''s deal is not mirrored; 304 untouched so far');
select is(pg_temp.gone_documents('L1'), '{}'::bigint[], 'L1: no page proved an order gone');
select is((select row(p.lines_position, p.documents_seen, p.documents_rejected, p.pages)::text from ploomes_sync.passes p
            where p.id = pg_temp.pass_id('L1')),
  row('{"lastId": 807}'::jsonb, 9, 0, 3)::text, 'L1: the pass holds the orders walk''s position, 9 documents seen, 3 pages (1 of deals)');

-- =============================================================================================
-- 4. The finish that puts orders in force for the first time (no mass-delete guard: nothing
--    published came from orders). Every customer is recomputed, 304 included.
select is(pg_temp.finish('L1b'), 'succeeded', 'L1b: the full pass succeeds');
select is((select row(s.line_items_source, s.line_items_reason, s.line_items_decided_at)::text from ploomes_sync.state s),
  row('orders', 'PLOOMES_LINE_ITEMS_SOURCE=orders', pg_temp.pass_start('L1'))::text,
  'state: orders in force, with its reason, decided when the pass started');
select is(pg_temp.res('L1b.end') -> 'warnings',
  '["line items now come from orders (before: deals), so every customer is recomputed: PLOOMES_LINE_ITEMS_SOURCE=orders"]'::jsonb,
  'L1b: the run warns that the source changed and every customer is recomputed');
select is(
  (select jsonb_build_object('i', r -> 'customersInserted', 'u', r -> 'customersUpdated', 'd', r -> 'customersDeleted',
                             'n', r -> 'customersUnchanged') from (select pg_temp.res('L1b.end') r) x),
  '{"i": 0, "u": 3, "d": 0, "n": 1}'::jsonb,
  'L1b: every customer recomputed: 301, 302, 304 updated, 303 (open deals only) unchanged');
-- 301: 6001 = 801 [11: 50, 12: 20] + 804 [13: 15] = 85; 6005: 806 has no lines -> Amount 30; 115.
-- 302: 6002 = 802 [21: 45 (custom), 11: 5] + 803 [22: 10] = 60; pricing 1.
-- 303: open (805 counts for nobody). 304: 6004 has no order -> Amount 40, no products (its own [4] is not read).
select results_eq($$select * from pg_temp.metrics()$$,
  $$values (301::bigint, 130.00::numeric, 115.00::numeric, '{11,12,13}'::bigint[], 3, 0), (302, 50.00, 60.00, '{11,21,22}', 3, 1),
           (303, 0.00, 0.00, '{}', 0, 0), (304, 40.00, 40.00, '{}', 0, 0)$$,
  'L1b: products and revenue from the orders'' lines');
select is((select has_custom_pricing from public.customer_sales where customer_id = 302), true,
  'L1b: 302 has custom pricing (802: 50 with 10 % off = 45 vs catalog 50)');
select is((select count(*)::int from ploomes_sync.dirty_customers), 0, 'L1b: nothing left to recompute');
select is(
  (select jsonb_build_object('lineItemsSource', r -> 'lineItemsSource', 'lineItemsReason', r -> 'lineItemsReason',
                             'documentsFetched', r -> 'documentsFetched', 'documentsDeleted', r -> 'documentsDeleted')
     from (select ploomes_sync.run_summary(pg_temp.run_id('L1b')) r) x),
  '{"lineItemsSource": "orders", "lineItemsReason": "PLOOMES_LINE_ITEMS_SOURCE=orders", "documentsFetched": 5, "documentsDeleted": 0}'::jsonb,
  'run_summary of the run that continued and finished the pass: its source, its reason, the 5 documents it fetched');
select is((select row(h.line_items_source, h.line_items_reason, h.line_items_decided_at)::text from public.sync_health h),
  row('orders', 'PLOOMES_LINE_ITEMS_SOURCE=orders', pg_temp.pass_start('L1'))::text,
  'health: line_items_source, line_items_reason and line_items_decided_at');

-- =============================================================================================
-- D: a dry run reads orders, counts, stores nothing.
insert into t_snap values ('D.documents', pg_temp.documents()), ('D.customers', pg_temp.customers()),
                          ('D.state', (select to_jsonb(s) - 'lease_run_id' - 'lease_expires_at' - 'lease_heartbeat_at' from ploomes_sync.state s));
insert into t_call values ('D', public.sync_claim('cli', 'auto', true, 3600, 168, 300, 'https://l.example'));
select is(pg_temp.choose('D', '{"source": "orders", "reason": "dry", "warning": "w1"}') - 'inForceReason',
  '{"source": null, "reason": null, "inForce": "orders", "linesPosition": null}'::jsonb,
  'D: a dry run has no pass: the plan answers no pass source');
select lives_ok($$select pg_temp.choose('D', '{"source": "quotes", "reason": "again", "warning": "w1"}')$$, 'D: a second choice');
select is((select row(r.line_items_source, r.line_items_reason, r.warnings)::text from ploomes_sync.runs r where r.id = pg_temp.run_id('D')),
  row('quotes', 'again', '["w1"]'::jsonb)::text,
  'D: a dry run records the latest choice on its run (no pass to keep it), a repeated warning once');
select throws_ok(
  $$select public.sync_ingest_documents(pg_temp.run_id('D'), 'deals', pg_temp.os(array['808']), '{"lastId": 808}')$$,
  '22023', 'p_kind must be orders or quotes, got deals', 'D: a dry run still needs orders or quotes');
select pg_temp.docs('D.p1', 'D', 'orders', pg_temp.os(array['808', '801dry', '805']), '{"lastId": 808}');
select is(pg_temp.res('D.p1'), '{"stored": 3, "inserted": 1, "updated": 1, "unchanged": 1, "rejected": 0}'::jsonb,
  'D: the dry run counts 808 new, 801 changed, 805 unchanged');
select is(pg_temp.documents(), pg_temp.snap('D.documents'), 'D: the documents mirror is untouched');
select is(pg_temp.dirty(), '{}'::bigint[], 'D: nothing marked dirty');
select is(pg_temp.finish('D'), 'succeeded', 'D: the dry run succeeds');
select is(pg_temp.customers(), pg_temp.snap('D.customers'), 'D: customer_sales untouched');
select is((select to_jsonb(s) - 'lease_run_id' - 'lease_expires_at' - 'lease_heartbeat_at' from ploomes_sync.state s), pg_temp.snap('D.state'),
  'D: state untouched (orders still in force)');
select is((select jsonb_build_object('documentsFetched', r -> 'documentsFetched', 'lineItemsSource', r -> 'lineItemsSource')
             from (select pg_temp.res('D.end') r) x),
  '{"documentsFetched": 3, "lineItemsSource": "quotes"}'::jsonb, 'D: run_summary of the dry run');

-- =============================================================================================
-- L2: a full pass with orders in force, in two ranges, (-inf, 804] and (804, +inf). Ploomes no
-- longer has 803; 804 moved from deal 6001 to 6004.
select pg_temp.claim('L2');
select is(pg_temp.choose('L2', null) ->> 'inForce', 'orders', 'L2: orders in force');
select lives_ok($$select pg_temp.choose('L2', '{"source": "orders", "reason": "PLOOMES_LINE_ITEMS_SOURCE=orders"}')$$, 'L2: reads orders');
select pg_temp.docs('L2.a', 'L2', 'orders', pg_temp.os(array['801', '802']), pg_temp.ranges(802, null), 0);
select is(pg_temp.res('L2.a') ->> 'unchanged', '2', 'L2 range 0 page 1: 801, 802 unchanged');
select is(pg_temp.gone_documents('L2'), '{}'::bigint[],
  'L2 range 0 page 1: the span (-inf, 802] stages nothing (803 lies beyond it)');
select is(pg_temp.dirty(), '{}'::bigint[], 'L2: unchanged orders mark nobody');
select pg_temp.docs('L2.b', 'L2', 'orders', pg_temp.os(array['804moved']), pg_temp.ranges(804, null), 0);
select is(pg_temp.gone_documents('L2'), '{803}'::bigint[], 'L2 range 0 page 2: the span (802, 804] stages 803, which it did not carry');
select is(pg_temp.dirty(), '{301,304}'::bigint[], 'L2: the moved order marks its former (301) and new (304) deal''s customers');
select pg_temp.docs('L2.c', 'L2', 'orders', pg_temp.os(array['805', '806', '807']), pg_temp.ranges(804, 807), 1);
select is(pg_temp.gone_documents('L2'), '{803}'::bigint[], 'L2 range 1: (804, 807] carried everything');
select is(pg_temp.order_ids(), '{801,802,803,804,805,806,807}'::bigint[], 'L2: nothing is deleted before the finish');
select throws_ok(
  $$select public.sync_ingest_documents(pg_temp.run_id('L2'), 'orders', pg_temp.os(array['805']), pg_temp.ranges(804, 805), 1)$$,
  '22023', null, 'L2: a span that moves a range of the orders walk back is refused');
-- 1 of the 7 mirrored orders (14.3 %): allowed by p_max_delete_ratio 0.2.
select is(pg_temp.finish('L2', 0.2), 'succeeded', 'L2: deleting 1 of 7 orders with p_max_delete_ratio 0.2 succeeds');
select is(pg_temp.order_ids(), '{801,802,804,805,806,807}'::bigint[], 'L2: the order proved gone (803) is deleted');
select is(
  (select jsonb_build_object('documentsDeleted', r -> 'documentsDeleted', 'dealsDeleted', r -> 'dealsDeleted', 'u', r -> 'customersUpdated',
                             'warnings', r -> 'warnings') from (select pg_temp.res('L2.end') r) x),
  '{"documentsDeleted": 1, "dealsDeleted": 0, "u": 3, "warnings": []}'::jsonb,
  'L2: one order deleted, 301 / 302 / 304 updated, no warning (orders stayed in force)');
-- 301: 6001 = 801 = 70; 6005: Amount 30; 100. 302: 6002 = 802 = 45 + 5 = 50. 304: 6004 = 804 [13: 15].
select results_eq($$select * from pg_temp.metrics()$$,
  $$values (301::bigint, 130.00::numeric, 100.00::numeric, '{11,12}'::bigint[], 2, 0), (302, 50.00, 50.00, '{11,21}', 2, 1),
           (303, 0.00, 0.00, '{}', 0, 0), (304, 40.00, 15.00, '{13}', 1, 0)$$,
  'L2: the gone order''s customer (302) loses 22 and 10 of revenue; the moved order moves 13 from 301 to 304');
select is((select s.line_items_source from ploomes_sync.state s), 'orders', 'L2: orders stay in force');

-- =============================================================================================
-- L3: a full pass whose orders walk carries only 801: the tail (801, +inf) dooms 802, 804, 805,
-- 806, 807, 5 of the 6 mirrored orders (83.3 %) > 0.5: stopped, nothing deleted.
insert into t_snap values ('L3.documents', pg_temp.documents()), ('L3.customers', pg_temp.customers()),
                          ('L3.state', (select to_jsonb(s) - 'lease_run_id' - 'lease_expires_at' - 'lease_heartbeat_at' from ploomes_sync.state s));
select pg_temp.claim('L3');
select lives_ok($$select pg_temp.choose('L3', '{"source": "orders", "reason": "PLOOMES_LINE_ITEMS_SOURCE=orders"}')$$, 'L3: reads orders');
select pg_temp.docs('L3.a', 'L3', 'orders', pg_temp.os(array['801']), '{"lastId": 801}');
select is(pg_temp.finish('L3', 0.5), 'failed', 'L3: the documents mass-delete guard fails the pass');
select is(pg_temp.res('L3.end') ->> 'error',
  'this full pass would delete 5 of the 6 mirrored orders (83.3%), above SYNC_MAX_DELETE_RATIO = 0.5',
  'L3: the error names orders, the count, the mirror size, the share and the ratio');
select ok(strpos(pg_temp.res('L3.end') ->> 'hint', 'If these orders really are gone from Ploomes, allow it once in SQL: select public.sync_allow_mass_delete();') > 0,
  'L3: the hint says how to allow it');
select is((select r.http_status from ploomes_sync.runs r where r.id = pg_temp.run_id('L3')), 502, 'L3: 502');
select is(pg_temp.documents(), pg_temp.snap('L3.documents'), 'L3: no order deleted (the mirror is as before)');
select is(pg_temp.customers(), pg_temp.snap('L3.customers'), 'L3: nothing published');
select is((select to_jsonb(s) - 'lease_run_id' - 'lease_expires_at' - 'lease_heartbeat_at' - 'current_pass_id' from ploomes_sync.state s),
  pg_temp.snap('L3.state') - 'current_pass_id', 'L3: state (cursor, last full pass, source in force) did not move');
select is((select p.status from ploomes_sync.passes p where p.id = pg_temp.pass_id('L3')), 'failed', 'L3: the pass is failed');
select is(pg_temp.gone_documents('L3'), '{}'::bigint[], 'L3: the failed pass took its staged orders with it');

-- L4: allowed once, the same pass deletes the 5 orders, with a warning.
insert into t_call values ('allow', public.sync_allow_mass_delete());
select pg_temp.claim('L4');
select lives_ok($$select pg_temp.choose('L4', '{"source": "orders", "reason": "PLOOMES_LINE_ITEMS_SOURCE=orders"}')$$, 'L4: reads orders');
select pg_temp.docs('L4.a', 'L4', 'orders', pg_temp.os(array['801']), '{"lastId": 801}');
select is(pg_temp.finish('L4', 0.5), 'succeeded', 'L4: sync_allow_mass_delete() lets the pass through');
select is(pg_temp.order_ids(), '{801}'::bigint[], 'L4: the 5 orders are deleted');
select is(
  (select jsonb_build_object('documentsDeleted', r -> 'documentsDeleted', 'u', r -> 'customersUpdated', 'warnings', r -> 'warnings')
     from (select pg_temp.res('L4.end') r) x),
  jsonb_build_object('documentsDeleted', 5, 'u', 2, 'warnings', jsonb_build_array(
    'deleted 5 of 6 mirrored orders, above SYNC_MAX_DELETE_RATIO = 0.5, as allowed by sync_allow_mass_delete() at '
    || (pg_temp.res('allow') ->> 'allowedAt'))),
  'L4: 5 orders deleted, 302 and 304 updated, a warning naming the allowance');
-- 301: unchanged (801 + Amount 30 = 100). 302: no order -> Amount 50. 304: no order -> Amount 40.
select results_eq($$select * from pg_temp.metrics()$$,
  $$values (301::bigint, 130.00::numeric, 100.00::numeric, '{11,12}'::bigint[], 2, 0), (302, 50.00, 50.00, '{}', 0, 0),
           (303, 0.00, 0.00, '{}', 0, 0), (304, 40.00, 40.00, '{}', 0, 0)$$,
  'L4: the customers of the deleted orders count their deals'' Amounts');
select is((select s.mass_delete_allowed_at from ploomes_sync.state s), null::timestamptz, 'L4: the allowance is spent');

-- =============================================================================================
-- L5: the documents reject guard. One order stored (801), one rejected (809): rejected / greatest(
-- seen + rejected = 2, mirrored orders = 1) = 1 / 2 = 50 % > 1 %.
insert into t_snap values ('L5.customers', pg_temp.customers());
select pg_temp.claim('L5');
select lives_ok($$select pg_temp.choose('L5', '{"source": "orders", "reason": "PLOOMES_LINE_ITEMS_SOURCE=orders"}')$$, 'L5: reads orders');
select pg_temp.docs('L5.a', 'L5', 'orders', pg_temp.os(array['801']), '{"lastId": 809}', null,
  '[{"id": 809, "field": "Products.0.Total", "reason": "expected number, received string"}]');
select is(pg_temp.res('L5.a') ->> 'rejected', '1', 'L5: the page reports its reject');
select is(pg_temp.finish('L5'), 'failed', 'L5: too many rejected orders fail the pass');
select is(pg_temp.res('L5.end') ->> 'error', '1 of 2 orders failed validation (50.00%), above SYNC_MAX_REJECT_RATIO = 0.01',
  'L5: the error names orders and gives the ratio');
select is((select r.rejects from ploomes_sync.runs r where r.id = pg_temp.run_id('L5')),
  '[{"id": 809, "field": "Products.0.Total", "reason": "expected number, received string", "entity": "orders"}]'::jsonb,
  'L5: the run keeps the reject, marked as an order');
select is(pg_temp.customers(), pg_temp.snap('L5.customers'), 'L5: nothing published');
select is(pg_temp.order_ids(), '{801}'::bigint[], 'L5: nothing deleted');

-- L6: the same page at exactly the allowed ratio (0.5) is not "above" it.
select pg_temp.claim('L6');
select lives_ok($$select pg_temp.choose('L6', '{"source": "orders", "reason": "PLOOMES_LINE_ITEMS_SOURCE=orders"}')$$, 'L6: reads orders');
select pg_temp.docs('L6.a', 'L6', 'orders', pg_temp.os(array['801']), '{"lastId": 809}', null,
  '[{"id": 809, "field": "Products.0.Total", "reason": "expected number, received string"}]');
select is(pg_temp.finish('L6', 0.1, 0.5), 'succeeded', 'L6: a reject ratio equal to the maximum passes');
select is(pg_temp.order_ids(), '{801}'::bigint[], 'L6: the rejected order is not swept (it was not mirrored), 801 stays');

-- =============================================================================================
-- L7: a full pass that goes back to deals: every customer recomputed from the deals' own lines;
-- the orders mirror is left alone (this pass does not read it).
select pg_temp.claim('L7');
select lives_ok($$select pg_temp.choose('L7', '{"source": "deals", "reason": "PLOOMES_LINE_ITEMS_SOURCE=deals"}')$$, 'L7: reads deals');
select throws_ok(
  $$select public.sync_ingest_documents(pg_temp.run_id('L7'), 'orders', pg_temp.os(array['801']), '{"lastId": 801}')$$,
  '22023', null, 'L7: a pass reading deals takes no orders');
select is(pg_temp.finish('L7'), 'succeeded', 'L7: succeeds');
select is(pg_temp.res('L7.end') -> 'warnings',
  '["line items now come from deals (before: orders), so every customer is recomputed: PLOOMES_LINE_ITEMS_SOURCE=deals"]'::jsonb,
  'L7: the switch back is announced');
select results_eq($$select * from pg_temp.metrics()$$,
  $$values (301::bigint, 130.00::numeric, 130.00::numeric, '{1,5}'::bigint[], 2, 0), (302, 50.00, 50.00, '{}', 0, 0),
           (303, 0.00, 0.00, '{}', 0, 0), (304, 40.00, 40.00, '{4}', 1, 0)$$,
  'L7: back to L0''s metrics');
select is(pg_temp.order_ids(), '{801}'::bigint[], 'L7: the orders mirror is not swept by a pass that does not read it');
select is((select h.line_items_source from public.sync_health h), 'deals', 'health: deals in force again');

-- L8: none: no product anywhere, every won deal counts its Amount.
select pg_temp.claim('L8');
select lives_ok($$select pg_temp.choose('L8', '{"source": "none", "reason": "auto: no line items found"}')$$, 'L8: reads no line items');
select is(pg_temp.finish('L8'), 'succeeded', 'L8: succeeds');
select results_eq($$select * from pg_temp.metrics()$$,
  $$values (301::bigint, 130.00::numeric, 130.00::numeric, '{}'::bigint[], 0, 0), (302, 50.00, 50.00, '{}', 0, 0),
           (303, 0.00, 0.00, '{}', 0, 0), (304, 40.00, 40.00, '{}', 0, 0)$$,
  'L8: none: revenue = Amounts, no products');
select is((select row(h.line_items_source, h.line_items_reason)::text from public.sync_health h),
  row('none', 'auto: no line items found')::text, 'health: none in force, and why');

select * from finish();
rollback;
