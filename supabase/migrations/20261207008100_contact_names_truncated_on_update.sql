-- record_whatsapp_contact truncated a push name / saved name / username only when it inserted a contact; an
-- update of a known contact (a new sighting, or the LID row merging into the phone row) wrote the full text,
-- so a name over 256 characters (128 for a username) broke whatsapp_contacts_names_check and the whole
-- sighting was lost (the phone number it carried too). Redefined with the same left() on every path; the
-- body is 20261207001000's otherwise.
create or replace function public.record_whatsapp_contact(
  p_session_id uuid, p_lid text, p_phone text, p_phone_source public.contact_phone_source,
  p_push_name text default null, p_saved_name text default null, p_username text default null,
  p_seen boolean default false)
  returns uuid
  language plpgsql
  set search_path to ''
  as $$
  declare
    v_user uuid;
    v_by_lid public.whatsapp_contacts;
    v_by_phone public.whatsapp_contacts;
    v_id uuid;
  begin
    if p_lid is null and p_phone is null then
      raise exception 'a contact needs a LID or a phone number' using errcode = 'WL422';
    end if;
    if p_phone is not null and (p_phone_source is null or not public.is_e164_phone(p_phone)) then
      raise exception 'a contact phone must be E.164 and say where it came from, not %', p_phone using errcode = 'WL422';
    end if;
    select s.user_id into v_user from public.whatsapp_sessions s where s.id = p_session_id;
    if not found then
      raise exception 'session % not found', p_session_id using errcode = 'WL404';
    end if;
    perform pg_advisory_xact_lock(hashtextextended('whatsapp_contacts:' || p_session_id::text, 0));

    if p_lid is not null then
      select * into v_by_lid from public.whatsapp_contacts c where c.session_id = p_session_id and c.lid = p_lid;
    end if;
    if p_phone is not null then
      select * into v_by_phone from public.whatsapp_contacts c where c.session_id = p_session_id and c.phone_number = p_phone;
      -- The number now belongs to another LID: the old row keeps its LID and loses the number.
      if v_by_phone.id is not null and v_by_phone.lid is not null and p_lid is not null and v_by_phone.lid <> p_lid then
        update public.whatsapp_contacts set phone_number = null, phone_source = null where id = v_by_phone.id;
        v_by_phone := null;
      end if;
    end if;

    if v_by_lid.id is not null and v_by_phone.id is not null and v_by_lid.id <> v_by_phone.id then
      update public.inbound_messages set contact_id = v_by_phone.id where contact_id = v_by_lid.id;
      update public.outbound_messages set contact_id = v_by_phone.id where contact_id = v_by_lid.id;
      update public.message_reactions set contact_id = v_by_phone.id where contact_id = v_by_lid.id; -- table: 001100
      delete from public.whatsapp_contacts where id = v_by_lid.id;
      update public.whatsapp_contacts
         set lid = p_lid,
             push_name = coalesce(left(p_push_name, 256), v_by_lid.push_name, push_name),
             saved_name = coalesce(left(p_saved_name, 256), v_by_lid.saved_name, saved_name),
             username = coalesce(left(p_username, 128), v_by_lid.username, username),
             first_seen_at = least(first_seen_at, v_by_lid.first_seen_at),
             last_seen_at = greatest(last_seen_at, v_by_lid.last_seen_at, case when p_seen then now() end)
       where id = v_by_phone.id;
      v_id := v_by_phone.id;
    elsif coalesce(v_by_lid.id, v_by_phone.id) is not null then
      v_id := coalesce(v_by_lid.id, v_by_phone.id);
      update public.whatsapp_contacts c
         set lid = coalesce(c.lid, p_lid),
             phone_source = case when p_phone is not null and c.phone_number is distinct from p_phone
                                 then p_phone_source else c.phone_source end,
             phone_number = coalesce(p_phone, c.phone_number),
             push_name = coalesce(left(p_push_name, 256), c.push_name),
             saved_name = coalesce(left(p_saved_name, 256), c.saved_name),
             username = coalesce(left(p_username, 128), c.username),
             last_seen_at = case when p_seen then now() else c.last_seen_at end
       where c.id = v_id;
    else
      insert into public.whatsapp_contacts (session_id, user_id, lid, phone_number, phone_source, push_name, saved_name, username)
      values (p_session_id, v_user, p_lid, p_phone, case when p_phone is not null then p_phone_source end,
              left(p_push_name, 256), left(p_saved_name, 256), left(p_username, 128))
      returning id into v_id;
    end if;

    if p_phone is not null then
      update public.inbound_messages set sender_phone = p_phone
       where contact_id = v_id and not from_me and sender_phone is null;
    end if;
    return v_id;
  end;
  $$;
