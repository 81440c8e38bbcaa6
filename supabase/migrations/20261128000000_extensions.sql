-- Extensions the schedule needs. Supabase installs pg_cron into pg_catalog (it creates its own
-- `cron` schema) and pg_net into `extensions`, keeping `public` clean (advisor extension_in_public).
create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pg_net with schema extensions;
