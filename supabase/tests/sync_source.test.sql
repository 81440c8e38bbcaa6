-- The Ploomes source (the function's PLOOMES_BASE_URL) is remembered: switching to another API
-- makes the cursor meaningless there, so the next pass is a full one (its sweep then drops the
-- old source's deals), and a pass in progress from the old source is abandoned, not resumed.
begin;
set local search_path = extensions, public;
select plan(9);

\i supabase/tests/support/reset_sync_state.sql
update ploomes_sync.state set cursor = '2024-06-01T00:00:00Z', last_full_pass_at = now(), source = 'https://a.example';

create temp table t_call (k text primary key, res jsonb not null) on commit drop;

-- Same source: a normal incremental pass.
insert into t_call values ('same', public.sync_claim('cron', p_source => 'https://a.example'));
select is((select res ->> 'mode' from t_call where k = 'same'), 'incremental', 'same source: incremental');
-- Leave a partial pass behind, as a run stopped by its time budget would.
select is((public.sync_end_partial((select (res ->> 'runId')::bigint from t_call where k = 'same')) ->> 'status'), 'partial',
  'the pass is left in progress');

-- Another source: full pass, a warning naming both, the old pass abandoned.
insert into t_call values ('other', public.sync_claim('cron', p_source => 'https://b.example'));
select is((select res ->> 'mode' from t_call where k = 'other'), 'full', 'other source: full pass');
select is((select res ->> 'resumed' from t_call where k = 'other'), 'false', 'the old source''s pass is not resumed');
select is((select status from ploomes_sync.passes where id = (select (res ->> 'passId')::bigint from t_call where k = 'same')),
  'abandoned', 'the old source''s pass is abandoned');
select ok((select warnings ->> 0 from ploomes_sync.runs where id = (select (res ->> 'runId')::bigint from t_call where k = 'other'))
  like '%https://a.example%https://b.example%', 'the run''s warning names both sources');
select is((select source from ploomes_sync.state), 'https://b.example', 'the new source is remembered');
select is((select cursor from ploomes_sync.state), null::timestamptz, 'the old cursor is dropped');

-- No source given (older callers, tests): nothing is compared.
select public.sync_end_partial((select (res ->> 'runId')::bigint from t_call where k = 'other'));
select is(public.sync_claim('cron') ->> 'resumed', 'true', 'without a source the pass in progress is resumed');

select * from finish();
rollback;
