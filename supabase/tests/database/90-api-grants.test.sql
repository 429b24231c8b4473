-- What each API role may reach in public, object by object, on a database prepared like a Supabase project
-- created today: no default privileges for what `postgres` creates (changelog 45329), so a grant exists
-- only where a migration wrote it. Every table, view, sequence and function in public is listed below with
-- the roles holding a privilege on it ('nobody': no grant to PUBLIC, anon, authenticated or service_role).
-- Privileges come from the ACLs (direct grants; 'public' is PUBLIC, which holds EXECUTE on every new
-- function unless the migration revokes it). Column grants read `insert (a, b)`.
--
-- You added or changed an object: give it its grants in your migration, then update the list below.
-- `npx tsx scripts/api-grants.ts` prints the list as the migrations leave it (the same query as here);
-- paste it, and read every line you add: each role gets exactly what it needs and nothing more. A failure
-- names each grant that is missing or extra ('missing: <role> <privilege> on <object>').
begin;
select plan(6);

-- api-grants query: start (scripts/api-grants.ts runs the lines between these markers)
create temporary view public_objects (object, acl, relid) as
  select case c.relkind when 'v' then 'view ' when 'm' then 'materialized view ' when 'S' then 'sequence '
           when 'f' then 'foreign table ' else 'table ' end || c.relname,
         coalesce(c.relacl, acldefault(case c.relkind when 'S' then 's' else 'r' end::"char", c.relowner)),
         c.oid
    from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
     and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
  union all
  select 'function ' || p.proname || '(' || oidvectortypes(p.proargtypes) || ')',
         coalesce(p.proacl, acldefault('f', p.proowner)), null::oid
    from pg_proc p
   where p.pronamespace = 'public'::regnamespace
     and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e');

-- One row per (object, role, privilege); a column grant is one privilege: 'insert (a, b)'.
create temporary view api_grant_rows (object, role, privilege) as
  with grantees (oid, name) as (
    select 0::oid, 'public'
    union all
    select oid, rolname::text from pg_roles where rolname in ('anon', 'authenticated', 'service_role')
  )
  select o.object, g.name, lower(a.privilege_type)
    from public_objects o
   cross join lateral aclexplode(o.acl) a
    join grantees g on g.oid = a.grantee
  union all
  select o.object, g.name, lower(a.privilege_type) || ' (' || string_agg(att.attname::text, ', ' order by att.attnum) || ')'
    from public_objects o
    join pg_attribute att on att.attrelid = o.relid and att.attnum > 0 and not att.attisdropped and att.attacl is not null
   cross join lateral aclexplode(att.attacl) a
    join grantees g on g.oid = a.grantee
   group by o.object, g.name, a.privilege_type;

-- The list as this file writes it: one line per object and role ('nobody' for an object without grants).
create temporary view api_grant_list (object, role, privileges) as
  select object, role, string_agg(privilege, ', ' order by privilege) from api_grant_rows group by object, role
  union all
  select object, 'nobody', '' from public_objects o
   where not exists (select 1 from api_grant_rows r where r.object = o.object);
-- api-grants query: end

create temporary table expected_grants (object text, role text, privileges text) on commit drop;
insert into expected_grants (object, role, privileges) values
  -- tables
    ('table api_rate_limits', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table configuracion_mensajeria_usuario', 'authenticated', 'insert (user_id, platform, name, active, config), select, update (name, active, config)'),
    ('table configuracion_mensajeria_usuario', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table connector_heartbeats', 'service_role', 'delete, insert, select, update'),
    ('table inbound_messages', 'authenticated', 'select'),
    ('table inbound_messages', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table messaging_webhook_secrets', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table outbound_messages', 'authenticated', 'insert (session_id, user_id, recipient, content_type, text, idempotency_key, contact_id, media_path, media_file_name, quoted_wa_message_id, media_thumbnail, target_wa_message_id), select'),
    ('table outbound_messages', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table outbound_sent_content', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table session_commands', 'authenticated', 'insert (session_id, user_id, command, payload), select'),
    ('table session_commands', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table whatsapp_auth_state', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table message_reactions', 'authenticated', 'select'),
    ('table message_reactions', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table whatsapp_contacts', 'authenticated', 'select'),
    ('table whatsapp_contacts', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table whatsapp_media_rules', 'authenticated', 'select'),
    ('table whatsapp_media_rules', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table whatsapp_sessions', 'authenticated', 'delete, insert (user_id, link_method, pairing_phone), select'),
    ('table whatsapp_sessions', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table webhook_deliveries', 'authenticated', 'select'),
    ('table webhook_deliveries', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table webhook_events', 'authenticated', 'select'),
    ('table webhook_events', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
    ('table write_quotas', 'service_role', 'delete, insert, references, select, trigger, truncate, update'),
  -- views
    ('view session_statistics', 'authenticated', 'select'),
    ('view session_statistics', 'service_role', 'select'),
    ('view whatsapp_conversations', 'authenticated', 'select'),
    ('view whatsapp_conversations', 'service_role', 'select'),
  -- sequences (identity columns: inserting needs no sequence privilege)
    ('sequence inbound_messages_id_seq', 'nobody', ''),
    ('sequence message_reactions_id_seq', 'nobody', ''),
    ('sequence session_commands_id_seq', 'nobody', ''),
    ('sequence webhook_deliveries_id_seq', 'nobody', ''),
    ('sequence webhook_events_seq_seq', 'nobody', ''),
  -- functions: the connector's (service_role; the connector itself connects as the owner)
    ('function acquire_session_lease(uuid, text, interval)', 'service_role', 'execute'),
    ('function assert_session_lease(uuid, text, bigint)', 'service_role', 'execute'),
    ('function claim_inbound_media(text, uuid[], integer, interval)', 'service_role', 'execute'),
    ('function claim_ready_outbound_messages(text, uuid[], integer, interval)', 'service_role', 'execute'),
    ('function claim_session_commands(text, integer, interval)', 'service_role', 'execute'),
    ('function claim_wanted_sessions(text, interval, integer)', 'service_role', 'execute'),
    ('function complete_session_command(bigint, text, text)', 'service_role', 'execute'),
    ('function complete_session_link(uuid, text, bigint, text, text, text, text)', 'service_role', 'execute'),
    ('function delete_unfinished_link_credentials(interval)', 'service_role', 'execute'),
    ('function disable_inbound_media(uuid[], text)', 'service_role', 'execute'),
    ('function expire_idle_sessions(interval)', 'service_role', 'execute'),
    ('function fail_inbound_media(bigint, text, media_state, text)', 'service_role', 'execute'),
    ('function fail_outbound_message(uuid, text, text, text)', 'service_role', 'execute'),
    ('function fail_unsent_messages(uuid, text, text)', 'service_role', 'execute'),
    ('function mark_inbound_media_stored(bigint, text, text, bigint, text)', 'service_role', 'execute'),
    ('function mark_outbound_messages_sent(text, uuid[], text[])', 'service_role', 'execute'),
    ('function mark_outbound_sent(uuid, text, text)', 'service_role', 'execute'),
    ('function record_outbound_content(uuid, text, jsonb)', 'service_role', 'execute'),
    ('function record_outbound_receipt(uuid, text, outbound_status)', 'service_role', 'execute'),
    ('function record_outbound_receipts(uuid[], text[], outbound_status[])', 'service_role', 'execute'),
    ('function release_session_lease(uuid, text, bigint)', 'service_role', 'execute'),
    ('function record_session_wa_version(uuid, text, bigint, text)', 'service_role', 'execute'),
    ('function hold_outbound_message(uuid, text, timestamp with time zone, text)', 'service_role', 'execute'),
    ('function session_has_chat_with(uuid, text)', 'service_role', 'execute'),
    ('function set_session_restriction(uuid, text, bigint, timestamp with time zone, text)', 'service_role', 'execute'),
    ('function set_session_new_chat_cap(uuid, text, bigint, integer, integer, timestamp with time zone, text)', 'service_role', 'execute'),
    ('function renew_outbound_claims(text, uuid[], interval)', 'service_role', 'execute'),
    ('function renew_session_leases(text, interval)', 'service_role', 'execute'),
    ('function retry_inbound_media(bigint, text, interval, text, jsonb)', 'service_role', 'execute'),
    ('function retry_outbound_message(uuid, text, interval, text, text)', 'service_role', 'execute'),
    ('function return_outbound_message(uuid, text)', 'service_role', 'execute'),
    ('function return_session_command(bigint, text)', 'service_role', 'execute'),
    ('function set_session_status(uuid, text, bigint, session_status, jsonb, text, timestamp with time zone, text)', 'service_role', 'execute'),
    ('function touch_session_activity(uuid, text, bigint)', 'service_role', 'execute'),
    ('function wipe_session_auth_state(uuid, text, bigint)', 'service_role', 'execute'),
    ('function write_session_auth_state(uuid, text, bigint, text[], text[], bytea[])', 'service_role', 'execute'),
    ('function claim_webhook_events(text, integer, interval)', 'service_role', 'execute'),
    ('function record_history_chats(uuid, jsonb)', 'service_role', 'execute'),
    ('function record_outbound_contact(uuid, text, text)', 'service_role', 'execute'),
    ('function record_inbound_deletion(uuid, text, boolean, timestamp with time zone)', 'service_role', 'execute'),
    ('function record_inbound_edit(uuid, text, boolean, text, timestamp with time zone)', 'service_role', 'execute'),
    ('function record_inbound_media_thumbnail(uuid, text, bytea)', 'service_role', 'execute'),
    ('function record_inbound_media_waveform(uuid, text, bytea)', 'service_role', 'execute'),
    ('function record_message_reaction(uuid, text, boolean, uuid, text, timestamp with time zone)', 'service_role', 'execute'),
    ('function store_inbound_message(jsonb)', 'service_role', 'execute'),
    ('function is_sent_outbound_status(outbound_status)', 'service_role', 'execute'),
    ('function record_whatsapp_contact(uuid, text, text, contact_phone_source, text, text, text, boolean)', 'service_role', 'execute'),
    ('function delete_old_webhook_events(interval)', 'service_role', 'execute'),
    ('function enqueue_webhook_event(uuid, text, text, jsonb)', 'service_role', 'execute'),
    ('function record_webhook_attempt(text, text, text, integer, text, integer, interval)', 'service_role', 'execute'),
    ('function return_webhook_event(text, text)', 'service_role', 'execute'),
  -- functions: the user API and what policies/constraints call as the user (authenticated, service_role)
    ('function is_active_session_status(session_status)', 'authenticated', 'execute'),
    ('function is_active_session_status(session_status)', 'service_role', 'execute'),
    ('function is_e164_phone(text)', 'authenticated', 'execute'),
    ('function is_e164_phone(text)', 'service_role', 'execute'),
    ('function is_terminal_session_status(session_status)', 'authenticated', 'execute'),
    ('function is_terminal_session_status(session_status)', 'service_role', 'execute'),
    ('function messaging_config_problems(jsonb)', 'authenticated', 'execute'),
    ('function messaging_config_problems(jsonb)', 'service_role', 'execute'),
    ('function request_session_command(uuid, text)', 'authenticated', 'execute'),
    ('function request_session_command(uuid, text)', 'service_role', 'execute'),
    ('function request_whatsapp_link(text, text)', 'authenticated', 'execute'),
    ('function request_whatsapp_link(text, text)', 'service_role', 'execute'),
    ('function rotate_webhook_secret(text)', 'authenticated', 'execute'),
    ('function rotate_webhook_secret(text)', 'service_role', 'execute'),
    ('function save_messaging_settings(text, boolean, jsonb, text)', 'authenticated', 'execute'),
    ('function save_messaging_settings(text, boolean, jsonb, text)', 'service_role', 'execute'),
    ('function webhook_event_types()', 'authenticated', 'execute'),
    ('function webhook_event_types()', 'service_role', 'execute'),
    ('function webhook_secret_created_at()', 'authenticated', 'execute'),
    ('function webhook_secret_created_at()', 'service_role', 'execute'),
    ('function redeliver_webhook_event(text)', 'authenticated', 'execute'),
    ('function redeliver_webhook_event(text)', 'service_role', 'execute'),
    ('function redeliver_webhook_events(text[], text, text, timestamp with time zone, timestamp with time zone, integer)', 'authenticated', 'execute'),
    ('function redeliver_webhook_events(text[], text, text, timestamp with time zone, timestamp with time zone, integer)', 'service_role', 'execute'),
    ('function mark_conversation_read(uuid, text)', 'authenticated', 'execute'),
  -- functions: the Edge Function's rate limit, called with its secret key for the user it verified (a user
  -- who could call it would choose the window and reset their own count, issue 16 item 9)
    ('function consume_api_rate_limit(uuid, text, integer, integer)', 'service_role', 'execute'),
  -- functions: the connector ends a replaced session (logged out on WhatsApp or not, credentials wiped)
    ('function finish_replaced_session(uuid, text, bigint, boolean)', 'service_role', 'execute'),
  -- functions: housekeeping wipes the credentials of a replaced/expired session whose holder died
    ('function wipe_abandoned_ended_sessions()', 'service_role', 'execute'),
  -- functions: whether a session's lease is live (the connector's functions ask it as their caller)
    ('function session_lease_live(text, timestamp with time zone)', 'service_role', 'execute'),
  -- functions: triggers and what only they call (as the owner)
    ('function enforce_outbound_quota()', 'nobody', ''),
    ('function replaced_without_logout_note()', 'nobody', ''),
    ('function wipe_unheld_replaced_session()', 'nobody', ''),
    ('function enforce_session_command_quota()', 'nobody', ''),
    ('function is_quota_limited_writer()', 'nobody', ''),
    ('function check_outbound_media()', 'nobody', ''),
    ('function address_outbound_contact()', 'nobody', ''),
    ('function check_outbound_action()', 'nobody', ''),
    ('function apply_outbound_action()', 'nobody', ''),
    ('function message_edit_webhook()', 'nobody', ''),
    ('function unread_messages_up_to(uuid, text)', 'nobody', ''),
    ('function inbound_message_webhook()', 'nobody', ''),
    ('function outbound_status_webhook()', 'nobody', ''),
    ('function session_status_webhook()', 'nobody', ''),
    ('function message_reaction_webhook()', 'nobody', ''),
    ('function webhook_inbound_message_data(inbound_messages)', 'nobody', ''),
    ('function webhook_outbound_message_data(outbound_messages)', 'nobody', ''),
    ('function webhook_session_data(whatsapp_sessions, session_status)', 'nobody', ''),
    ('function refuse_outbound_on_finished_session()', 'nobody', ''),
    ('function set_updated_at()', 'nobody', '');

-- The expected list, one row per privilege (the lists split at commas outside column lists).
create temporary view expected_grant_rows (object, role, privilege) as
  select object, role, p from expected_grants
   cross join lateral regexp_split_to_table(privileges, ',\s*(?![^()]*\))') p
   where role <> 'nobody';

create temporary view grant_differences (line) as
  (select 'missing: ' || role || ' ' || privilege || ' on ' || object
     from (select * from expected_grant_rows except select * from api_grant_rows) m order by 1)
  union all
  (select 'extra: ' || role || ' ' || privilege || ' on ' || object
     from (select * from api_grant_rows except select * from expected_grant_rows) e order by 1);

select is(
  (select string_agg(object, ', ' order by object) from (
     select object from public_objects except select object from expected_grants) unlisted),
  null,
  'every table, view, sequence and function in public is listed in this file (have: the unlisted ones)');

select is(
  (select string_agg(object, ', ' order by object) from (
     select object from expected_grants except select object from public_objects) gone),
  null,
  'every object listed in this file exists (have: the listed objects that do not)');

select ok(not exists (select 1 from grant_differences),
  coalesce('the grants differ from the list: ' || (select string_agg(line, '; ') from grant_differences),
           'PUBLIC, anon, authenticated and service_role hold exactly the privileges listed, object by object'));

-- On a difference, the list as it is now, ready to compare or paste (with pg_prove --comments).
select diag(E'the grants as the migrations leave them (scripts/api-grants.ts prints the same):\n' ||
            string_agg(format('    (%L, %L, %L),', object, role, privileges), E'\n' order by object, role))
  from api_grant_list
having exists (select 1 from grant_differences)
    or exists (select object from public_objects except select object from expected_grants);

select is(
  (select string_agg(role || ' ' || privilege || ' on ' || object, '; ' order by object)
     from api_grant_rows where role in ('public', 'anon')),
  null,
  'neither anon nor PUBLIC can reach anything in public: the browser signs in first');

-- The database behaves like a project created today: what a migration creates gets nothing by default.
create table public.grants_probe (id integer primary key);
create function public.grants_probe_fn() returns integer language sql set search_path to '' as $$ select 1 $$;

select is(
  (select array_agg(role || ': ' || privileges order by role) from api_grant_list where object = 'table grants_probe'),
  array['nobody: '],
  'a table created now grants anon, authenticated and service_role nothing (no default privileges)');

select is(
  (select array_agg(role || ': ' || privileges order by role) from api_grant_list where object = 'function grants_probe_fn()'),
  array['public: execute'],
  'a function created now is executable by PUBLIC only (Postgres'' own default): migrations revoke it');

select * from finish();
rollback;
