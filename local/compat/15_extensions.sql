-- The extensions Supabase pre-creates, or creates as supabase_admin (through supautils) when a
-- migration asks for one: here they are created up front by the superuser, so the migrations'
-- `create extension if not exists …` lines are no-ops when `supabase db push` runs them as
-- postgres, and a migration that needs anything else a superuser must create fails here (42501).
--   pg_cron        in pg_catalog (it creates schema `cron`), as Supabase installs it
--   pg_net         the local stand-in (local/compat/pg_net), in `extensions`
--   pgtap          for supabase/tests (pg_prove runs them as postgres)
--   plpgsql_check  for `supabase db lint`, which runs `create extension if not exists plpgsql_check`
--
-- A cluster made by an older checkout has them owned by postgres: each is recreated once as
-- supabase_admin, keeping pg_cron's jobs and run history and pg_net's queue and responses (with
-- their id sequences), and says so with a notice starting `upgrade:` that `stack:up` prints.

do $$
declare
  v_last_jobid bigint;
  v_last_runid bigint;
  v_jobs bigint;
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron' and extowner <> 'supabase_admin'::regrole) then
    create temp table keep_cron_job on commit drop as select * from cron.job;
    create temp table keep_cron_job_run_details on commit drop as select * from cron.job_run_details;
    select last_value into v_last_jobid from cron.jobid_seq;
    select last_value into v_last_runid from cron.runid_seq;
    drop extension pg_cron;
    create extension pg_cron with schema pg_catalog;
    insert into cron.job select * from keep_cron_job;
    insert into cron.job_run_details select * from keep_cron_job_run_details;
    perform setval('cron.jobid_seq', v_last_jobid);
    perform setval('cron.runid_seq', v_last_runid);
    select count(*) into v_jobs from keep_cron_job;
    raise notice 'upgrade: pg_cron recreated as supabase_admin (% jobs and their run history kept)', v_jobs;
  end if;
end
$$;

do $$
declare
  v_last_id bigint;
begin
  if exists (select 1 from pg_extension where extname = 'pg_net' and extowner <> 'supabase_admin'::regrole) then
    -- method as text: a column of the extension's domain would stop the drop.
    create temp table keep_net_queue on commit drop as
      select id, method::text as method, url, headers, body, timeout_milliseconds from net.http_request_queue;
    create temp table keep_net_responses on commit drop as select * from net._http_response;
    select last_value into v_last_id from net.http_request_queue_id_seq;
    drop extension pg_net;
    create extension pg_net with schema extensions;
    insert into net.http_request_queue (id, method, url, headers, body, timeout_milliseconds)
      select id, method, url, headers, body, timeout_milliseconds from keep_net_queue;
    insert into net._http_response select * from keep_net_responses;
    perform setval('net.http_request_queue_id_seq', v_last_id);
    raise notice 'upgrade: pg_net (stand-in) recreated as supabase_admin (queue and responses kept)';
  end if;
end
$$;

do $$
declare
  v_name text;
begin
  for v_name in
    select e.extname from pg_extension e
     where e.extname in ('pgtap', 'plpgsql_check') and e.extowner <> 'supabase_admin'::regrole
  loop
    execute format('drop extension %I', v_name);
    raise notice 'upgrade: % recreated as supabase_admin', v_name;
  end loop;
end
$$;

create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pg_net with schema extensions;
create extension if not exists pgtap with schema extensions;
create extension if not exists plpgsql_check with schema extensions;

-- What hosted Supabase grants postgres on pg_cron (supabase/postgres
-- ansible/files/postgresql_extension_custom_scripts/pg_cron/after-create.sql, and
-- migrations/db/migrations/20260730000000_revoke_trigger_on_cron_tables_from_postgres.sql): the
-- functions (cron.schedule, cron.alter_job, cron.unschedule, …), the run history, and only SELECT
-- on cron.job — jobs are changed through the functions, never by writing the table.
grant usage on schema cron to postgres with grant option;
grant all on all functions in schema cron to postgres with grant option;
alter default privileges for user supabase_admin in schema cron grant all on sequences to postgres with grant option;
alter default privileges for user supabase_admin in schema cron grant all on tables to postgres with grant option;
alter default privileges for user supabase_admin in schema cron grant all on functions to postgres with grant option;
grant all privileges on all tables in schema cron to postgres with grant option;
revoke all on table cron.job from postgres;
grant select on table cron.job to postgres with grant option;
revoke trigger on cron.job_run_details from postgres;
