-- Included by the sync pgTAP files (\i, from the project root) inside their transaction: the
-- sync's state as on a freshly migrated project. Everything is rolled back with the test.
update ploomes_sync.state
   set lease_run_id = null, lease_expires_at = null, lease_heartbeat_at = null,
       current_pass_id = null, cursor = null, last_full_pass_at = null, source = null, mass_delete_allowed_at = null,
       line_items_source = 'deals', line_items_reason = null, line_items_decided_at = null, quote_approved_status_id = 2;
delete from ploomes_sync.rejected_deals;
delete from ploomes_sync.dirty_customers;
delete from ploomes_sync.deals;
delete from ploomes_sync.deal_documents;
delete from public.customer_sales;
delete from ploomes_sync.runs;
delete from ploomes_sync.passes;
delete from ploomes_sync.incidents;
delete from ploomes_sync.sync_requests;
delete from ploomes_sync.webhook_events;
