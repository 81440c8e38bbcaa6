-- pgTAP for supabase/tests (Supabase offers it as an extension too); kept in `extensions`, never `public`.
create extension if not exists pgtap with schema extensions;
