-- Supabase's roles, as a hosted project has them. Applied on every `stack:up` by the superuser
-- supabase_admin (local/stack/roles.ts makes sure it exists); idempotent.
--   supabase_admin  the only superuser: owns the extensions, Vault and auth (initdb's user here)
--   postgres        what `supabase db push`, the SQL editor, pg_cron jobs, the tests and the local
--                   gateway run as: NOT a superuser, so a migration that needs one fails here too
--   anon / authenticated   what PostgREST switches to for publishable (anon) keys and user JWTs
--   service_role    bypasses RLS (secret keys); authenticator is the login role PostgREST uses
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'postgres') then
    create role postgres login password 'postgres';
  end if;
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
end
$$;

-- postgres as hosted Supabase leaves it (supabase/postgres
-- migrations/db/migrations/10000000000000_demote-postgres.sql): every attribute but SUPERUSER.
-- On a cluster made by an older checkout, postgres was the bootstrap superuser: this demotes it.
alter role postgres nosuperuser createdb createrole login replication bypassrls;
-- The search_path hosted projects give postgres (migrations/db/init-scripts/00000000000003-post-setup.sql),
-- so extensions in `extensions` (plpgsql_check for `supabase db lint`, pgTAP) resolve unqualified.
alter role postgres set search_path to "$user", public, extensions;
-- The database belongs to the superuser; postgres may create schemas in it and objects in public.
alter database postgres owner to supabase_admin;
grant all on database postgres to postgres;
grant all on schema public to postgres;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

-- Supabase's platform statement timeouts for the API roles.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';

-- What a new Supabase project grants: the API roles may use `public`, and everything created
-- there by postgres is granted to them by default. This is why migrations must revoke from
-- anon/authenticated explicitly; the stand-in keeps that trap so tests catch a missing revoke.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;
