-- ploomes_sync: the sync's private state — the mirror of Ploomes deals, passes (one walk over
-- Ploomes, possibly spanning several invocations), runs (one row per invocation), the singleton
-- state row (incremental cursor + lease) and the set of customers awaiting recompute.
-- Never exposed through the Data API; only service_role (the Edge Function) touches it.

create schema if not exists ploomes_sync;
comment on schema ploomes_sync is 'Private state of the sync-customer-sales Edge Function (mirror, passes, runs, cursor, lease). Not exposed through the Data API.';
revoke all on schema ploomes_sync from public;

-- One walk over Ploomes deals. A full pass pages by Id and, once complete, deletes mirror rows it
-- did not see; an incremental pass pages by (LastUpdateDate, Id) from the cursor minus an overlap.
create table if not exists ploomes_sync.passes (
  id bigint generated always as identity primary key,
  mode text not null check (mode in ('full', 'incremental')),
  status text not null default 'in_progress' check (status in ('in_progress', 'completed', 'failed', 'abandoned')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  -- Keyset position after the last stored page: {"lastId": n} (full) or
  -- {"lastUpdateDate": "<raw Ploomes string>", "lastId": n} (incremental). The raw string keeps
  -- Ploomes' 7-digit fractions, which a timestamp would round and so break `eq` in the keyset.
  position jsonb,
  -- Incremental lower bound (cursor minus overlap), fixed when the pass starts.
  since timestamptz,
  products_available boolean not null default true,
  pages integer not null default 0,
  deals_seen integer not null default 0,
  deals_rejected integer not null default 0
);

create table if not exists ploomes_sync.runs (
  id bigint generated always as identity primary key,
  trigger text not null check (trigger in ('cron', 'continue', 'manual', 'cli')),
  requested_mode text not null check (requested_mode in ('auto', 'incremental', 'full')),
  mode text check (mode in ('incremental', 'full')),
  dry_run boolean not null default false,
  pass_id bigint references ploomes_sync.passes (id),
  resumed boolean not null default false,
  status text not null check (status in ('running', 'partial', 'succeeded', 'failed', 'skipped')),
  started_at timestamptz not null default clock_timestamp(),
  finished_at timestamptz,
  heartbeat_at timestamptz,
  pages integer not null default 0,
  requests integer not null default 0,
  retries integer not null default 0,
  throttled_waits integer not null default 0,
  deals_fetched integer not null default 0,
  deals_rejected integer not null default 0,
  deals_deleted integer not null default 0,
  customers_inserted integer not null default 0,
  customers_updated integer not null default 0,
  customers_deleted integer not null default 0,
  customers_unchanged integer not null default 0,
  cursor_before timestamptz,
  cursor_after timestamptz,
  -- Deals skipped by validation: [{"id": n, "reason": "..."}], the first few only.
  rejects jsonb not null default '[]'::jsonb,
  warnings jsonb not null default '[]'::jsonb,
  http_status integer,
  error text,
  error_hint text
);
create index if not exists runs_started_at_idx on ploomes_sync.runs (started_at desc);
create index if not exists runs_pass_id_idx on ploomes_sync.runs (pass_id);

-- The singleton: incremental cursor, the pass in progress and the lease (one run at a time).
create table if not exists ploomes_sync.state (
  singleton boolean primary key default true check (singleton),
  -- Next incremental pass reads from cursor − overlap. Never beyond a pass's start time.
  cursor timestamptz,
  -- The Ploomes API the cursor and mirror came from (its base URL). Another source means the
  -- cursor means nothing there: the next pass is a full one, whose sweep drops foreign deals.
  source text,
  current_pass_id bigint references ploomes_sync.passes (id),
  last_full_pass_at timestamptz,
  lease_run_id bigint references ploomes_sync.runs (id),
  lease_expires_at timestamptz,
  lease_heartbeat_at timestamptz
);
insert into ploomes_sync.state (singleton) values (true) on conflict (singleton) do nothing;

-- The mirror: one row per Ploomes deal with what the metrics need.
create table if not exists ploomes_sync.deals (
  deal_id bigint primary key,
  contact_id bigint,
  contact_name text,          -- the deal's denormalised ContactName
  contact_display_name text,  -- Contact.Name from the expansion
  contact_type_id integer,
  contact_cnpj text,
  contact_cpf text,
  status_id integer not null,
  amount numeric(15, 2),
  create_date timestamptz,
  finish_date timestamptz,
  last_update_date timestamptz not null,
  last_update_raw text not null,
  -- [{product_id, quantity, unit_price, discount, total, catalog_unit_price}]; null = never fetched
  -- (Ploomes refused the Products expansion), [] = the deal has no line items.
  line_items jsonb,
  seen_pass_id bigint not null,
  synced_at timestamptz not null default now()
);
create index if not exists deals_contact_id_idx on ploomes_sync.deals (contact_id);
create index if not exists deals_seen_pass_id_idx on ploomes_sync.deals (seen_pass_id);

-- Customers whose deals changed since their row in customer_sales was last recomputed. Kept
-- across runs, so a partial or failed pass never loses a pending recompute.
create table if not exists ploomes_sync.dirty_customers (
  customer_id bigint primary key,
  marked_at timestamptz not null default now()
);

-- Only the Edge Function (service_role) reads or writes the sync's state.
revoke all on all tables in schema ploomes_sync from public, anon, authenticated;
grant usage on schema ploomes_sync to service_role;
grant select, insert, update, delete on all tables in schema ploomes_sync to service_role;

-- Defence in depth: should a grant ever slip, RLS with no policy still hides every row.
alter table ploomes_sync.passes enable row level security;
alter table ploomes_sync.runs enable row level security;
alter table ploomes_sync.state enable row level security;
alter table ploomes_sync.deals enable row level security;
alter table ploomes_sync.dirty_customers enable row level security;
