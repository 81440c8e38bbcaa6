-- The mirror keeps Ploomes' values as sent. `amount` was numeric(15,2), which rounded every deal
-- to cents before it was summed, so a customer's total drifted whenever Ploomes sent more
-- decimals. Now it is an unconstrained numeric; metrics round once, when a customer_sales row is
-- written (docs/metrics.md). Line-item prices already travel as JSON numbers in line_items.
alter table ploomes_sync.deals alter column amount type numeric;

-- parse_deals names the old type in its result, which `create or replace` cannot change.
drop function if exists ploomes_sync.parse_deals(jsonb);
create function ploomes_sync.parse_deals(p_deals jsonb)
returns table (
  deal_id bigint, contact_id bigint, contact_name text, contact_display_name text, contact_type_id integer,
  contact_cnpj text, contact_cpf text, status_id integer, amount numeric, create_date timestamptz,
  finish_date timestamptz, last_update_date timestamptz, last_update_raw text, line_items jsonb)
language sql immutable
set search_path = ''
as $$
  -- One row per deal id: the latest version when a page repeats an id.
  select distinct on (d.id)
         d.id, d.contact_id, d.contact_name, d.contact_display_name, d.contact_type_id, d.contact_cnpj, d.contact_cpf,
         d.status_id, d.amount, d.create_date, d.finish_date, d.last_update_date, d.last_update_raw, d.line_items
    from jsonb_to_recordset(p_deals) as d(
           id bigint, contact_id bigint, contact_name text, contact_display_name text, contact_type_id integer,
           contact_cnpj text, contact_cpf text, status_id integer, amount numeric, create_date timestamptz,
           finish_date timestamptz, last_update_date timestamptz, last_update_raw text, line_items jsonb)
   order by d.id, d.last_update_date desc
$$;

revoke all on function ploomes_sync.parse_deals(jsonb) from public, anon, authenticated;
grant execute on function ploomes_sync.parse_deals(jsonb) to service_role;
