-- Which pg_net requests were calls of the sync function. pg_net's net._http_response keeps a
-- request's outcome for 6 hours but not its URL, so without this list nobody can tell a 401 from
-- the sync function apart from a 401 of any other request of the project. `npm run doctor` (its
-- delivery check) and docs/operations.md read the two together:
--
--   select r.*, h.status_code, h.timed_out, h.error_msg
--     from ploomes_sync.sync_requests r left join net._http_response h on h.id = r.request_id
--    order by r.request_id desc limit 5;

create table if not exists ploomes_sync.sync_requests (
  request_id bigint primary key,
  trigger text not null,
  mode text not null,
  queued_at timestamptz not null default now()
);
create index if not exists sync_requests_queued_at_idx on ploomes_sync.sync_requests (queued_at);
comment on table ploomes_sync.sync_requests is
  'pg_net request ids of the calls to the sync function (join net._http_response on id for their outcome). Kept one day: pg_net keeps responses 6 hours.';

alter table ploomes_sync.sync_requests enable row level security;
revoke all on ploomes_sync.sync_requests from public, anon, authenticated;

-- As before (20261128000800), and the request id is kept. Rows older than a day are dropped on
-- the way: their responses are gone from pg_net by then, and the table stays a few hundred rows.
create or replace function ploomes_sync.send_sync_request(p_trigger text, p_mode text default 'auto') returns bigint
language plpgsql
set search_path = ''
as $$
declare
  v_request_id bigint;
begin
  if p_mode is null or p_mode not in ('auto', 'incremental', 'full') then
    raise exception 'invalid mode %', coalesce(p_mode, 'null') using errcode = '22023', hint = 'use auto, incremental or full';
  end if;
  v_request_id := net.http_post(
    url := rtrim(ploomes_sync.vault_value('project_url'), '/') || '/functions/v1/sync-customer-sales',
    body := jsonb_build_object('trigger', p_trigger, 'mode', p_mode),
    headers := jsonb_build_object('Content-Type', 'application/json', 'x-cron-secret', ploomes_sync.vault_value('cron_secret')),
    timeout_milliseconds := ploomes_sync.request_timeout_ms()
  );
  delete from ploomes_sync.sync_requests r where r.queued_at < now() - interval '1 day';
  -- pg_net's ids restart if the extension is ever re-created: the newer request wins.
  insert into ploomes_sync.sync_requests (request_id, trigger, mode) values (v_request_id, p_trigger, p_mode)
  on conflict (request_id) do update set trigger = excluded.trigger, mode = excluded.mode, queued_at = excluded.queued_at;
  return v_request_id;
end
$$;
revoke all on function ploomes_sync.send_sync_request(text, text) from public, anon, authenticated;
