-- What signed-in users (through the Edge Function, or a CRM with the user's token) call.
-- All functions here are SECURITY INVOKER: they run as the caller, so grants and RLS still decide.
-- Errors carry our own SQLSTATEs, which the API maps to HTTP statuses (never message text):
--   WL404 not found (or not yours), WL409 conflict with the session's state, WL422 invalid request.

-- Starts linking, or returns the caller's active session. Creates the session row and a connect
-- command in one transaction; a linking session without a live connect command gets a new one.
create or replace function public.request_whatsapp_link(
  p_link_method text default 'qr', p_pairing_phone text default null)
  returns public.whatsapp_sessions
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_user uuid := auth.uid();
    v_session public.whatsapp_sessions;
  begin
    if v_user is null then
      raise exception 'sign in first' using errcode = '42501';
    end if;
    if p_link_method is null or not p_link_method = any (enum_range(null::public.link_method)::text[]) then
      raise exception 'link method must be qr or pairing_code' using errcode = 'WL422';
    end if;
    if p_link_method = 'pairing_code' and (p_pairing_phone is null or not public.is_e164_phone(p_pairing_phone)) then
      raise exception 'a pairing code needs the phone number in E.164 form, like +15551234567' using errcode = 'WL422';
    end if;

    select * into v_session from public.whatsapp_sessions
     where user_id = v_user and public.is_active_session_status(status);

    if not found then
      begin
        insert into public.whatsapp_sessions (user_id, link_method, pairing_phone)
        values (v_user, p_link_method::public.link_method, case when p_link_method = 'pairing_code' then p_pairing_phone end)
        returning * into v_session;
      exception when unique_violation then
        -- A concurrent request created it first: use that one.
        select * into strict v_session from public.whatsapp_sessions
         where user_id = v_user and public.is_active_session_status(status);
      end;
    end if;

    if v_session.status in ('connected', 'reconnecting') then
      return v_session;
    end if;
    if not exists (select 1 from public.session_commands
                    where session_id = v_session.id and command in ('connect', 'reconnect', 'pairing_code')
                      and status in ('pending', 'running')) then
      insert into public.session_commands (session_id, user_id, command, payload)
      values (v_session.id, v_user, 'connect',
              jsonb_build_object('method', p_link_method) ||
              case when p_link_method = 'pairing_code' then jsonb_build_object('phone', p_pairing_phone) else '{}'::jsonb end);
    end if;
    return v_session;
  end;
  $$;

-- Queues disconnect / logout / reconnect for one of the caller's sessions.
create or replace function public.request_session_command(p_session_id uuid, p_command text)
  returns public.session_commands
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_session public.whatsapp_sessions;
    v_command public.session_commands;
  begin
    if p_command is null or p_command not in ('disconnect', 'logout', 'reconnect') then
      raise exception 'unknown command %', p_command using errcode = 'WL422';
    end if;
    select * into v_session from public.whatsapp_sessions where id = p_session_id;  -- RLS: own rows only
    if not found then
      raise exception 'session not found' using errcode = 'WL404';
    end if;
    if not public.is_active_session_status(v_session.status) then
      raise exception 'the session is %, start a new link instead', v_session.status using errcode = 'WL409';
    end if;
    if p_command = 'disconnect' and v_session.status = 'disconnected' then
      raise exception 'the session is already disconnected' using errcode = 'WL409';
    end if;
    if p_command = 'reconnect' and v_session.phone_number is null then
      raise exception 'the session was never linked, start a new link instead' using errcode = 'WL409';
    end if;
    insert into public.session_commands (session_id, user_id, command)
    values (v_session.id, v_session.user_id, p_command::public.session_command)
    returning * into v_command;
    return v_command;
  end;
  $$;

-- Session statistics per user (RLS applies: a user sees only their own line).
create view public.session_statistics with (security_invoker = true) as
  select user_id,
         count(*)::integer as total_sessions,
         (count(*) filter (where public.is_active_session_status(status)))::integer as active_sessions,
         (count(*) filter (where status = 'connected'))::integer as connected_sessions,
         (count(*) filter (where status = 'expired'))::integer as expired_sessions,
         max(last_activity_at) as last_activity_at
    from public.whatsapp_sessions
   group by user_id;

revoke all on public.session_statistics from anon, authenticated;
grant select on public.session_statistics to authenticated, service_role;

revoke execute on function public.request_whatsapp_link(text, text) from public, anon;
revoke execute on function public.request_session_command(uuid, text) from public, anon;
grant execute on function public.request_whatsapp_link(text, text) to authenticated, service_role;
grant execute on function public.request_session_command(uuid, text) to authenticated, service_role;
revoke execute on function public.set_updated_at() from public, anon, authenticated;

-- Realtime: the tables browsers and CRMs watch. whatsapp_auth_state is never published.
alter publication supabase_realtime add table
  public.whatsapp_sessions, public.session_commands, public.outbound_messages, public.inbound_messages;
