-- pg_net stand-in: the same schema, tables and function signatures as pg_net 0.14, so that
-- migrations and SQL snippets written for Supabase run here unchanged. Requests are queued in
-- net.http_request_queue exactly like the real extension; instead of pg_net's background worker,
-- the local gateway's worker (local/gateway/pg-net-worker.ts) is woken by NOTIFY (delivered only
-- at commit — the real worker is also woken at commit) and handles the queue one batch at a time
-- as pg_net does (pg_net.batch_size; see local/compat/pg_net/README.md).

create schema if not exists net;

create domain net.http_method as text check (value in ('GET', 'POST', 'DELETE'));

create unlogged table net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds int not null
);

create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out bool,
  error_msg text,
  created timestamptz not null default now()
);
create index _http_response_created_idx on net._http_response (created);

-- Percent-encodes a query-string component (RFC 3986 unreserved characters stay as they are).
create function net._urlencode_string(string varchar) returns text
language plpgsql immutable strict
set search_path = ''
as $$
declare
  encoded text := '';
  ch text;
  byte_value int;
  utf8 bytea;
begin
  foreach ch in array regexp_split_to_array(string, '') loop
    if ch ~ '^[A-Za-z0-9_.~-]$' then
      encoded := encoded || ch;
    else
      utf8 := convert_to(ch, 'UTF8');
      for i in 0 .. length(utf8) - 1 loop
        byte_value := get_byte(utf8, i);
        encoded := encoded || '%' || upper(lpad(to_hex(byte_value), 2, '0'));
      end loop;
    end if;
  end loop;
  return encoded;
end
$$;

-- Appends `params` (a flat JSON object) to `url` as an encoded query string.
create function net._encode_url_with_params(url text, params jsonb) returns text
language sql immutable
set search_path = ''
as $$
  select case
    when coalesce(params, '{}'::jsonb) = '{}'::jsonb then url
    else url || case when strpos(url, '?') > 0 then '&' else '?' end || (
      select string_agg(net._urlencode_string(p.key) || '=' || net._urlencode_string(p.value), '&' order by p.key)
      from jsonb_each_text(params) as p(key, value)
    )
  end
$$;

-- pg_net only sends JSON bodies: a Content-Type other than application/json is an error, a
-- missing one is added.
create function net._json_headers(headers jsonb) returns jsonb
language plpgsql immutable
set search_path = ''
as $$
declare
  content_type text;
begin
  select h.value into content_type
  from jsonb_each_text(coalesce(headers, '{}'::jsonb)) as h(key, value)
  where lower(h.key) = 'content-type'
  limit 1;
  if content_type is null then
    return coalesce(headers, '{}'::jsonb) || '{"Content-Type": "application/json"}'::jsonb;
  end if;
  if content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  return headers;
end
$$;

create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language sql volatile
set search_path = ''
as $$
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('GET', net._encode_url_with_params(url, params), coalesce(headers, '{}'::jsonb), null, timeout_milliseconds)
  returning id
$$;

create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language sql volatile
set search_path = ''
as $$
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', net._encode_url_with_params(url, params), net._json_headers(headers),
          convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id
$$;

create function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000,
  body jsonb default null
) returns bigint
language sql volatile
set search_path = ''
as $$
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('DELETE', net._encode_url_with_params(url, params), coalesce(headers, '{}'::jsonb),
          case when body is null then null else convert_to(body::text, 'UTF8') end, timeout_milliseconds)
  returning id
$$;

-- Wakes the local worker; NOTIFY is delivered when the enqueuing transaction commits.
create function net._wake_worker() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform pg_notify('pg_net_stand_in', '');
  return null;
end
$$;

create trigger wake_worker after insert on net.http_request_queue
  for each statement execute function net._wake_worker();

-- pg_net's net.worker_restart(): reloads the configuration, so that a changed pg_net.batch_size or
-- pg_net.ttl (`alter system set …`, as the superuser) takes effect, and wakes the worker. The real
-- one is a C function calling pg_reload_conf() directly; SECURITY DEFINER gives the same reach.
create function net.worker_restart() returns bool
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform pg_notify('pg_net_stand_in', '');
  return pg_reload_conf();
end
$$;

grant usage on schema net to public;
grant all on net.http_request_queue, net._http_response to public;
grant all on sequence net.http_request_queue_id_seq to public;
grant execute on all functions in schema net to public;
