-- The data model's shape: tables exist, RLS is on everywhere, the right tables are published to Realtime.
begin;
select plan(20);

select has_table('public', 'whatsapp_sessions', 'whatsapp_sessions exists');
select has_table('public', 'whatsapp_auth_state', 'whatsapp_auth_state exists');
select has_table('public', 'session_commands', 'session_commands exists');
select has_table('public', 'outbound_messages', 'outbound_messages exists');
select has_table('public', 'inbound_messages', 'inbound_messages exists');
select has_table('public', 'whatsapp_contacts', 'whatsapp_contacts exists');
select has_table('public', 'message_reactions', 'message_reactions exists');
select has_view('public', 'whatsapp_conversations', 'whatsapp_conversations exists');
select has_view('public', 'session_statistics', 'session_statistics exists');

select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and not c.relrowsecurity),
  null,
  'row level security is enabled on every table in public');

select is(
  (select reloptions from pg_class where oid = 'public.session_statistics'::regclass),
  array['security_invoker=true'],
  'session_statistics runs with the caller''s rights, so RLS applies through it');
select is(
  (select reloptions from pg_class where oid = 'public.whatsapp_conversations'::regclass),
  array['security_invoker=true'],
  'whatsapp_conversations runs with the caller''s rights, so RLS applies through it');

select set_eq(
  $$select tablename::text from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public'$$,
  array['whatsapp_sessions', 'session_commands', 'outbound_messages', 'inbound_messages', 'configuracion_mensajeria_usuario',
    'whatsapp_contacts', 'message_reactions'],
  'the watched tables (and not whatsapp_auth_state or the webhook secrets) are in the supabase_realtime publication');

select is(
  (select count(*)::int from pg_policies where schemaname = 'public' and tablename = 'whatsapp_auth_state'),
  0,
  'whatsapp_auth_state has no policy at all');

select policies_are('public', 'whatsapp_sessions', array[
  'Users can see their own WhatsApp sessions',
  'Users can start linking a WhatsApp session for themselves',
  'Users can delete their own finished WhatsApp sessions'],
  'whatsapp_sessions has exactly the select, insert and delete policies');

select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'public'::regnamespace
      and not exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%')),
  null,
  'every function in public pins its search_path');

select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.prosecdef
      and p.proname in ('request_whatsapp_link', 'request_session_command', 'acquire_session_lease',
        'set_session_status', 'touch_session_activity', 'wipe_session_auth_state', 'renew_session_leases', 'release_session_lease', 'assert_session_lease',
        'claim_wanted_sessions', 'claim_session_commands', 'complete_session_command', 'return_session_command',
        'claim_ready_outbound_messages', 'renew_outbound_claims', 'mark_outbound_sent', 'retry_outbound_message', 'fail_outbound_message',
        'fail_unsent_messages', 'record_outbound_receipt', 'mark_outbound_messages_sent', 'record_outbound_receipts', 'complete_session_link', 'expire_idle_sessions',
        'delete_unfinished_link_credentials')),
  null,
  'the user and connector functions are SECURITY INVOKER: grants and RLS of the caller decide');

select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'm', 'S', 'p')
      and (has_table_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
           or has_any_column_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))),
  null,
  'anon holds no privilege on any table, view or sequence in public (Supabase''s default grants are revoked)');

select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and c.relrowsecurity
      and not exists (select 1 from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname)
      and (has_table_privilege('authenticated', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
           or has_any_column_privilege('authenticated', c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))),
  null,
  'tables without any policy (credentials, counters) grant authenticated nothing either');

select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'S'
      and case when c.relkind = 'S' then has_sequence_privilege('authenticated', c.oid, 'USAGE, SELECT, UPDATE') end),
  null,
  'authenticated cannot read or advance any sequence (identity columns do not need it)');

select * from finish();
rollback;
