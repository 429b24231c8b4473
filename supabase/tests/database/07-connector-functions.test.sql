-- The connector's functions (leases, claims, state transitions) are not executable by anon or
-- authenticated, so no user can claim, fence out, complete or expire anything. The user API is
-- executable by authenticated only.
begin;
select plan(63);

create temporary table connector_functions (signature text primary key) on commit drop;
insert into connector_functions values
  ('public.acquire_session_lease(uuid, text, interval)'),
  ('public.renew_session_leases(text, interval)'),
  ('public.release_session_lease(uuid, text, bigint)'),
  ('public.assert_session_lease(uuid, text, bigint)'),
  ('public.claim_wanted_sessions(text, interval, integer)'),
  ('public.claim_session_commands(text, integer, interval)'),
  ('public.complete_session_command(bigint, text, text)'),
  ('public.return_session_command(bigint, text)'),
  ('public.claim_ready_outbound_messages(text, uuid[], integer, interval)'),
  ('public.mark_outbound_sent(uuid, text, text)'),
  ('public.mark_outbound_messages_sent(text, uuid[], text[])'),
  ('public.record_outbound_receipts(uuid[], text[], outbound_status[])'),
  ('public.retry_outbound_message(uuid, text, interval, text, text)'),
  ('public.fail_outbound_message(uuid, text, text, text)'),
  ('public.fail_unsent_messages(uuid, text, text)'),
  ('public.record_outbound_receipt(uuid, text, outbound_status)'),
  ('public.set_session_status(uuid, text, bigint, session_status, jsonb, text, timestamp with time zone, text)'),
  ('public.touch_session_activity(uuid, text, bigint)'),
  ('public.wipe_session_auth_state(uuid, text, bigint)'),
  ('public.complete_session_link(uuid, text, bigint, text, text, text, text)'),
  ('public.expire_idle_sessions(interval)'),
  ('public.delete_unfinished_link_credentials(interval)'),
  ('public.write_session_auth_state(uuid, text, bigint, text[], text[], bytea[])'),
  ('public.renew_outbound_claims(text, uuid[], interval)'),
  ('public.return_outbound_message(uuid, text)');

select ok(not has_function_privilege('anon', signature, 'execute')
          and not has_function_privilege('authenticated', signature, 'execute'),
          format('%s is executable by neither anon nor authenticated', signature))
  from connector_functions order by signature;
select ok(has_function_privilege('service_role', signature, 'execute'),
          format('%s is executable by service_role', signature))
  from connector_functions order by signature;
select ok(not has_function_privilege('public', 'public.set_updated_at()', 'execute'),
  'the updated_at trigger function is not callable directly');

-- A function added later without its revoke would be callable through the API (Postgres grants EXECUTE
-- on a new function to PUBLIC): only this allowlist may be.
select is(
  (select array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text) from pg_proc p
    where p.pronamespace = 'public'::regnamespace
      and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))
      and p.proname not in ('request_whatsapp_link', 'request_session_command', 'is_active_session_status',
                            'is_terminal_session_status', 'is_e164_phone',
                            'save_messaging_settings', 'rotate_webhook_secret',
                            'webhook_secret_created_at', 'messaging_config_problems', 'webhook_event_types',
                            'redeliver_webhook_event', 'redeliver_webhook_events', 'mark_conversation_read')),
  null,
  'no other function in public is executable by anon or authenticated');
select is(
  (select array_agg(p.oid::regprocedure::text order by p.oid::regprocedure::text) from pg_proc p
    where p.pronamespace = 'public'::regnamespace and has_function_privilege('anon', p.oid, 'execute')),
  null,
  'anon can execute nothing in public');

-- The user API: authenticated yes, anon no.
select ok(has_function_privilege('authenticated', 'public.request_whatsapp_link(text, text)', 'execute')
          and not has_function_privilege('anon', 'public.request_whatsapp_link(text, text)', 'execute'),
  'request_whatsapp_link is for signed-in users only');
select ok(has_function_privilege('authenticated', 'public.request_session_command(uuid, text)', 'execute')
          and not has_function_privilege('anon', 'public.request_session_command(uuid, text)', 'execute'),
  'request_session_command is for signed-in users only');

-- And calling them really fails.
insert into auth.users (id, email) values ('11111111-1111-4111-8111-111111111111', 'alice@rls.test');
insert into public.whatsapp_sessions (id, user_id, status) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connecting');
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}', true);
select throws_ok($$select public.acquire_session_lease('aaaaaaaa-0000-4000-8000-000000000001', 'alice', '1 hour')$$,
  '42501', null, 'alice cannot take the lease of her own session');
select throws_ok($$select * from public.claim_wanted_sessions('alice', '1 hour', 10)$$,
  '42501', null, 'alice cannot claim sessions');
select throws_ok($$select * from public.claim_ready_outbound_messages('alice', '{}', 10, '1 minute')$$,
  '42501', null, 'alice cannot claim outbound messages');
select throws_ok($$select * from public.claim_session_commands('alice', 10, '1 minute')$$,
  '42501', null, 'alice cannot claim commands');
select throws_ok($$select public.set_session_status('aaaaaaaa-0000-4000-8000-000000000001', 'alice', 1, 'connected')$$,
  '42501', null, 'alice cannot set the status of her own session');
select throws_ok($$select * from public.expire_idle_sessions('0 seconds')$$,
  '42501', null, 'alice cannot expire sessions');
reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$select public.request_whatsapp_link()$$, '42501', null, 'anon cannot start a link');
reset role;
select is((select lease_owner from public.whatsapp_sessions where id = 'aaaaaaaa-0000-4000-8000-000000000001'),
  null, 'nobody took the lease');

select * from finish();
rollback;
