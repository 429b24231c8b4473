-- The outbound statuses of a message that is on WhatsApp (sent, then delivered, then read), defined once as
-- a predicate like public.is_active_session_status: `npm run db:types` evaluates it into the generated
-- SENT_OUTBOUND_STATUSES, which the web imports (an edit or a delete for everyone needs a message that is on
-- WhatsApp) instead of its own copy (issue 13 item 6). The sent_at check of outbound_messages says the same.
create or replace function public.is_sent_outbound_status(p_status public.outbound_status) returns boolean
  language sql immutable parallel safe
  set search_path to ''
  as $$ select p_status in ('sent', 'delivered', 'read') $$;

comment on function public.is_sent_outbound_status(public.outbound_status) is
  'true for the statuses of a message that reached WhatsApp (sent, delivered, read); generated as SENT_OUTBOUND_STATUSES.';

revoke execute on function public.is_sent_outbound_status(public.outbound_status) from public, anon, authenticated;
grant execute on function public.is_sent_outbound_status(public.outbound_status) to service_role;
