-- Supabase keeps extensions out of `public` in a schema named `extensions` (the
-- `extension_in_public` advisor flags anything else). It belongs to the superuser; postgres may
-- create in it (supabase/postgres migrations/db/migrations/10000000000000_demote-postgres.sql).
create schema if not exists extensions;
alter schema extensions owner to supabase_admin;
grant all on schema extensions to postgres;
grant usage on schema extensions to anon, authenticated, service_role;
alter default privileges for role postgres in schema extensions grant all on functions to anon, authenticated, service_role;
