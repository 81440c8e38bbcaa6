-- The lease held while waiting. A run renews its lease per stored page, and also while it waits
-- on Ploomes (throttle, backoff, Retry-After, a slow answer) by calling this every third of the
-- lease, so a live run is never taken over and the continuation job never starts a second caller
-- of Ploomes. Fencing as everywhere: a run that lost the lease gets PT409 and stops.
create or replace function public.sync_heartbeat(
  p_run_id bigint,
  p_lease_seconds integer default 60,
  p_client jsonb default '{}'::jsonb
) returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  if coalesce(p_lease_seconds, 0) <= 0 then
    raise exception 'p_lease_seconds must be positive' using errcode = '22023';
  end if;
  perform ploomes_sync.lock_state_for_run(p_run_id);
  perform ploomes_sync.apply_client_stats(p_run_id, p_client);
  return jsonb_build_object('leaseExpiresAt',
    ploomes_sync.iso_utc(ploomes_sync.extend_lease(p_lease_seconds, clock_timestamp())));
end
$$;

comment on function public.sync_heartbeat(bigint, integer, jsonb) is
  'Sync API: extends the lease of a run that is waiting on Ploomes; raises PT409 when another run holds it.';

revoke all on function public.sync_heartbeat(bigint, integer, jsonb) from public, anon, authenticated;
grant execute on function public.sync_heartbeat(bigint, integer, jsonb) to service_role;
