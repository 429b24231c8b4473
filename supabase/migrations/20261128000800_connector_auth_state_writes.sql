-- Connector: one-statement auth-state writes.
--
-- A Baileys keys.set() must be atomic and fenced (assert_session_lease first). As a client-side
-- transaction that is four round trips (begin, assert, upsert, commit) on every sent message; as one
-- function call it is one, in its own implicit transaction. Values arrive already sealed by the
-- connector (AES-256-GCM envelope); this function never sees plaintext.

-- Upserts (p_values not null) and deletes (p_values null) in one fenced statement. Raises WL001 when
-- the caller does not hold the session lease, and then writes nothing.
create or replace function public.write_session_auth_state(
  p_session_id uuid, p_owner text, p_epoch bigint,
  p_kinds text[], p_key_ids text[], p_values bytea[])
  returns void
  language plpgsql
  set search_path to ''
  as $$
  begin
    perform public.assert_session_lease(p_session_id, p_owner, p_epoch);
    if coalesce(array_length(p_kinds, 1), 0) <> coalesce(array_length(p_key_ids, 1), 0)
       or coalesce(array_length(p_kinds, 1), 0) <> coalesce(array_length(p_values, 1), 0) then
      raise exception 'kinds, key ids and values must have the same length' using errcode = '22023';
    end if;
    insert into public.whatsapp_auth_state (session_id, kind, key_id, value)
    select p_session_id, t.k, t.i, t.v
      from unnest(p_kinds, p_key_ids, p_values) as t(k, i, v)
     where t.v is not null
    on conflict (session_id, kind, key_id) do update set value = excluded.value;
    delete from public.whatsapp_auth_state a
     using unnest(p_kinds, p_key_ids, p_values) as t(k, i, v)
     where t.v is null and a.session_id = p_session_id and a.kind = t.k and a.key_id = t.i;
  end;
  $$;

revoke execute on function public.write_session_auth_state(uuid, text, bigint, text[], text[], bytea[])
  from public, anon, authenticated;
