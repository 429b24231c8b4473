-- Explicit grants for what older migrations got from Supabase's default privileges, which a project
-- created today no longer has (changelog 45329: nothing in public is granted to anon, authenticated or
-- service_role unless a migration says so). Checked by supabase/tests/database/90-api-grants.test.sql.

-- The connector's functions: for service_role (a secret-key caller) as well as the connector's own
-- direct connection (the owner); never for anon or authenticated (revoked where they were made). The outbound
-- claims, sent and receipts are granted where they are defined (20261207007000, 007400, 008000).
grant execute on function
  public.acquire_session_lease(uuid, text, interval),
  public.renew_session_leases(text, interval),
  public.release_session_lease(uuid, text, bigint),
  public.assert_session_lease(uuid, text, bigint),
  public.claim_wanted_sessions(text, interval, integer),
  public.claim_session_commands(text, integer, interval),
  public.complete_session_command(bigint, text, text),
  public.return_session_command(bigint, text),
  public.complete_session_link(uuid, text, bigint, text, text, text, text),
  public.set_session_status(uuid, text, bigint, public.session_status, jsonb, text, timestamptz, text),
  public.touch_session_activity(uuid, text, bigint),
  public.wipe_session_auth_state(uuid, text, bigint),
  public.expire_idle_sessions(interval),
  public.delete_unfinished_link_credentials(interval),
  public.return_outbound_message(uuid, text),
  public.retry_outbound_message(uuid, text, interval, text, text),
  public.fail_outbound_message(uuid, text, text, text),
  public.fail_unsent_messages(uuid, text, text),
  public.write_session_auth_state(uuid, text, bigint, text[], text[], bytea[])
  to service_role;

-- The vocabulary predicates serve policies, check constraints and the user API, all as authenticated
-- (or the owner); nobody signed out needs them. Postgres grants EXECUTE on a new function to PUBLIC,
-- which (with 000100's grant to anon) made them callable by anyone holding the publishable key.
revoke execute on function
  public.is_active_session_status(public.session_status),
  public.is_terminal_session_status(public.session_status),
  public.is_e164_phone(text)
  from public, anon;
