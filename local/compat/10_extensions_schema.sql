-- Supabase keeps extensions out of `public` in a schema named `extensions`
-- (the `extension_in_public` advisor flags anything else).
create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
alter default privileges for role postgres in schema extensions grant all on functions to anon, authenticated, service_role;
