-- record_whatsapp_contact keeps a sighting whose name is longer than the column allows: truncated on insert,
-- on update of a known contact and when a LID row merges into the phone row (migration 20261207008100).
begin;
select plan(7);

insert into auth.users (id, email) values ('33333333-3333-4333-8333-333333333333', 'carol@names.test');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('cccccccc-0000-4000-8000-000000000001', '33333333-3333-4333-8333-333333333333', 'connected', '+15550000003', now());

create temp table ids (name text primary key, id uuid);
insert into ids select 'known', public.record_whatsapp_contact('cccccccc-0000-4000-8000-000000000001',
  '900000000000301@lid', null, null, 'Short Name');

-- An update of a known contact with an over-long push name, saved name and username: kept, truncated.
select lives_ok($$ select public.record_whatsapp_contact('cccccccc-0000-4000-8000-000000000001',
  '900000000000301@lid', '+15557770301', 'lid_mapping', repeat('p', 300), repeat('s', 300), repeat('u', 200)) $$,
  'an over-long name on a known contact does not fail the sighting');
select is((select row(char_length(push_name), char_length(saved_name), char_length(username))::text
  from public.whatsapp_contacts where id = (select id from ids where name = 'known')),
  row(256, 256, 128)::text, 'the names are truncated to 256 / 256 / 128 characters');
select is((select phone_number from public.whatsapp_contacts where id = (select id from ids where name = 'known')),
  '+15557770301', 'the phone number the same sighting carried is not lost');

-- A LID row merging into the row of the phone number (the other branch of the update).
insert into ids select 'by_phone', public.record_whatsapp_contact('cccccccc-0000-4000-8000-000000000001',
  null, '+15557770302', 'sent');
insert into ids select 'by_lid', public.record_whatsapp_contact('cccccccc-0000-4000-8000-000000000001',
  '900000000000302@lid', null, null, 'Lead');
select is(public.record_whatsapp_contact('cccccccc-0000-4000-8000-000000000001', '900000000000302@lid',
  '+15557770302', 'lid_mapping', repeat('q', 1000)), (select id from ids where name = 'by_phone'),
  'an over-long name while merging a LID row into the phone row still merges');
select is((select row(lid, char_length(push_name))::text from public.whatsapp_contacts
  where id = (select id from ids where name = 'by_phone')),
  row('900000000000302@lid', 256)::text, 'the merged contact has the LID and the truncated name');
select is((select count(*)::int from public.whatsapp_contacts where id = (select id from ids where name = 'by_lid')),
  0, 'the LID row is gone');

-- Insert path unchanged: truncated too.
insert into ids select 'new', public.record_whatsapp_contact('cccccccc-0000-4000-8000-000000000001',
  '900000000000303@lid', null, null, repeat('n', 257));
select is((select char_length(push_name) from public.whatsapp_contacts where id = (select id from ids where name = 'new')),
  256, 'a new contact with an over-long name is written truncated');

select * from finish();
rollback;
