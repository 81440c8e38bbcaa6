-- Supabase's API roles, as a hosted project has them.
-- anon / authenticated are what PostgREST switches to for publishable (anon) keys and user JWTs;
-- service_role bypasses RLS (secret keys); authenticator is the login role PostgREST connects as.
-- Idempotent: applied on every `stack:up`.
do $$
begin
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
