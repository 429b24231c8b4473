-- Media: the private bucket whatsapp-media (each user reaches only their own folder), outbound media checked
-- against the object and WhatsApp's rules (one SQLSTATE per refusal, nothing inserted), inbound media
-- transitions reserved to the connector.
begin;
select plan(41);

\set alice '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}'
\set bob '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}'

insert into auth.users (id, email) values
  ('11111111-1111-4111-8111-111111111111', 'alice@media.test'),
  ('22222222-2222-4222-8222-222222222222', 'bob@media.test');
insert into public.whatsapp_sessions (id, user_id, status, phone_number, connected_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'connected', '+15550000001', now()),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'connected', '+15550000002', now());
-- objects as Storage records them (metadata size and mimetype)
insert into storage.objects (bucket_id, name, owner_id, metadata) values
  ('whatsapp-media', '11111111-1111-4111-8111-111111111111/out/quote.pdf', '11111111-1111-4111-8111-111111111111',
   '{"size": 2048, "mimetype": "application/pdf"}'),
  ('whatsapp-media', '11111111-1111-4111-8111-111111111111/out/empty.pdf', '11111111-1111-4111-8111-111111111111',
   '{"size": 0, "mimetype": "application/pdf"}'),
  ('whatsapp-media', '11111111-1111-4111-8111-111111111111/out/huge.png', '11111111-1111-4111-8111-111111111111',
   '{"size": 20000000, "mimetype": "image/png"}'),
  ('whatsapp-media', '11111111-1111-4111-8111-111111111111/out/tool.exe', '11111111-1111-4111-8111-111111111111',
   '{"size": 4096, "mimetype": "application/x-msdownload"}'),
  ('whatsapp-media', '11111111-1111-4111-8111-111111111111/out/voice.ogg', '11111111-1111-4111-8111-111111111111',
   '{"size": 4096, "mimetype": "audio/ogg; codecs=opus"}'),
  ('whatsapp-media', '22222222-2222-4222-8222-222222222222/out/bob.pdf', '22222222-2222-4222-8222-222222222222',
   '{"size": 2048, "mimetype": "application/pdf"}');

select is((select public from storage.buckets where id = 'whatsapp-media'), false, 'the media bucket is private');

-- Storage RLS ---------------------------------------------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);
select results_eq($$select name from storage.objects where bucket_id = 'whatsapp-media' order by name$$,
  $$values ('11111111-1111-4111-8111-111111111111/out/empty.pdf'), ('11111111-1111-4111-8111-111111111111/out/huge.png'),
           ('11111111-1111-4111-8111-111111111111/out/quote.pdf'), ('11111111-1111-4111-8111-111111111111/out/tool.exe'),
           ('11111111-1111-4111-8111-111111111111/out/voice.ogg')$$,
  'alice lists only the objects in her own folder');
select lives_ok($$insert into storage.objects (bucket_id, name, metadata) values
  ('whatsapp-media', '11111111-1111-4111-8111-111111111111/out/new.png', '{"size": 10, "mimetype": "image/png"}')$$,
  'alice can upload into her own folder');
select throws_ok($$insert into storage.objects (bucket_id, name) values
  ('whatsapp-media', '22222222-2222-4222-8222-222222222222/out/planted.pdf')$$, '42501', null,
  'alice cannot upload into bob''s folder');
select is_empty($$update storage.objects set metadata = '{}' where name like '22222222%' returning 1$$,
  'alice cannot overwrite bob''s objects');
-- deletes go through the Storage API (Supabase's storage.protect_delete refuses SQL deletes): see the supabase-js test
select throws_ok($$update storage.objects set name = '22222222-2222-4222-8222-222222222222/out/moved.pdf'
  where name = '11111111-1111-4111-8111-111111111111/out/new.png'$$, '42501', null,
  'alice cannot move an object into bob''s folder');

select set_config('request.jwt.claims', :'bob', true);
select results_eq($$select name from storage.objects where bucket_id = 'whatsapp-media'$$,
  $$values ('22222222-2222-4222-8222-222222222222/out/bob.pdf')$$, 'bob sees only his own object');

reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select is_empty($$select 1 from storage.objects where bucket_id = 'whatsapp-media'$$, 'anon sees no media object');

-- Outbound media checks -----------------------------------------------------------------------------
reset role;
set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);
select lives_ok($$insert into public.outbound_messages (session_id, recipient, content_type, media_path, media_file_name, text)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'document',
          '11111111-1111-4111-8111-111111111111/out/quote.pdf', 'quote.pdf', 'the quote')$$,
  'alice queues a document from her own folder');
select results_eq($$select media_mime_type, media_size_bytes from public.outbound_messages where content_type = 'document'$$,
  $$values ('application/pdf'::text, 2048::bigint)$$, 'type and size come from the stored object');
select lives_ok($$insert into public.outbound_messages (session_id, recipient, content_type, media_path)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'voice', '11111111-1111-4111-8111-111111111111/out/voice.ogg')$$,
  'a voice note (audio/ogg; codecs=opus) is accepted');
select throws_ok($$insert into public.outbound_messages (session_id, recipient, content_type, media_path)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'document', '22222222-2222-4222-8222-222222222222/out/bob.pdf')$$,
  'WL403', null, 'someone else''s object is refused');
select throws_ok($$insert into public.outbound_messages (session_id, recipient, content_type, media_path)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'document', '11111111-1111-4111-8111-111111111111/out/missing.pdf')$$,
  'WL404', null, 'a missing object is refused');
select throws_ok($$insert into public.outbound_messages (session_id, recipient, content_type, media_path)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'document', '11111111-1111-4111-8111-111111111111/out/empty.pdf')$$,
  'WL411', null, 'a zero-byte file is refused');
select throws_ok($$insert into public.outbound_messages (session_id, recipient, content_type, media_path)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'image', '11111111-1111-4111-8111-111111111111/out/huge.png')$$,
  'WL413', null, 'an image over 16 MB is refused');
select throws_ok($$insert into public.outbound_messages (session_id, recipient, content_type, media_path)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'document', '11111111-1111-4111-8111-111111111111/out/tool.exe')$$,
  'WL415', null, 'an executable is not a document WhatsApp takes');
select throws_ok($$insert into public.outbound_messages (session_id, recipient, content_type, media_path)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'sticker', '11111111-1111-4111-8111-111111111111/out/quote.pdf')$$,
  'WL415', null, 'a PDF is not a sticker');
select throws_ok($$insert into public.outbound_messages (session_id, recipient, content_type, text)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'image', 'no file')$$,
  '23514', null, 'a media row needs a media_path');
select throws_ok($$insert into public.outbound_messages (session_id, recipient, content_type, media_path, text)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'voice', '11111111-1111-4111-8111-111111111111/out/voice.ogg', 'x')$$,
  '23514', null, 'a voice note has no caption');
select throws_ok($$insert into public.outbound_messages (session_id, recipient, content_type, media_path, media_mime_type)
  values ('aaaaaaaa-0000-4000-8000-000000000001', '+15557770001', 'document', '11111111-1111-4111-8111-111111111111/out/quote.pdf', 'application/pdf')$$,
  '42501', null, 'users cannot set the MIME type themselves');
select is((select count(*)::int from public.outbound_messages), 2, 'nothing was queued by the refused inserts');
select results_eq($$select count(*)::int from public.whatsapp_media_rules where kind = 'sticker'$$, $$values (1)$$,
  'users can read the media rules');

-- Inbound media transitions are the connector's ------------------------------------------------------
select throws_ok($$select public.claim_inbound_media('me', array['aaaaaaaa-0000-4000-8000-000000000001'::uuid], 10, '1 minute')$$,
  '42501', null, 'users cannot claim media downloads');
select throws_ok($$select public.mark_inbound_media_stored(1, 'me', 'x', 1, 'image/jpeg')$$, '42501', null, 'users cannot mark media stored');
select throws_ok($$select public.disable_inbound_media(array['aaaaaaaa-0000-4000-8000-000000000001'::uuid], 'x')$$, '42501', null,
  'users cannot turn media downloads off');

reset role;
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, wa_timestamp, media_kind,
  media_state, media_next_attempt_at, media_source)
values ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'IMG1', '15557770001@s.whatsapp.net',
  'imageMessage', now(), 'image', 'pending', now(), '{}');
select throws_ok($$update public.inbound_messages set media_state = 'stored', media_stored_at = now(),
  media_path = '22222222-2222-4222-8222-222222222222/bbbbbbbb-0000-4000-8000-000000000001/IMG1.jpg' where wa_message_id = 'IMG1'$$,
  '23514', null, 'an inbound object path must be in the owner''s own session folder');

-- MEDIA=disabled: what is still pending ends 'disabled' (metadata kept); a download in progress elsewhere is left alone
insert into public.inbound_messages (session_id, user_id, wa_message_id, chat_jid, message_type, wa_timestamp, media_kind,
  media_state, media_next_attempt_at, media_source, media_claimed_by, media_claim_expires_at)
values ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'IMG2', '15557770001@s.whatsapp.net',
  'imageMessage', now(), 'image', 'pending', now(), '{}', 'other-connector', now() + interval '1 minute'),
  ('bbbbbbbb-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'IMG3', '15557770002@s.whatsapp.net',
  'imageMessage', now(), 'image', 'pending', now(), '{}', null, null);
select is(public.disable_inbound_media(array['aaaaaaaa-0000-4000-8000-000000000001'::uuid], 'media off'), 1,
  'disable_inbound_media ends the unclaimed pending download of the given sessions');
select results_eq($$select wa_message_id, media_state::text, media_error from public.inbound_messages
  where wa_message_id in ('IMG1', 'IMG2', 'IMG3') order by wa_message_id$$,
  $$values ('IMG1', 'disabled', 'media off'), ('IMG2', 'pending', null::text), ('IMG3', 'pending', null::text)$$,
  'a live claim and other sessions are left pending');

-- What the connector sent for a media row, kept for a resend (outbound_sent_content): only by the connector holding
-- the row, and no user role reaches it
update public.outbound_messages set status = 'sending', claimed_by = 'conn-a', claim_expires_at = now() + interval '1 minute'
 where content_type = 'document';
select is(public.record_outbound_content((select id from public.outbound_messages where content_type = 'document'), 'conn-b',
  '{"documentMessage": {"fileName": "quote.pdf"}}'), false, 'a connector not holding the row keeps nothing');
select is(public.record_outbound_content((select id from public.outbound_messages where content_type = 'document'), 'conn-a',
  '{"documentMessage": {"fileName": "quote.pdf"}}'), true, 'the connector holding the row keeps what it sent');
select results_eq($$select message #>> '{documentMessage,fileName}' from public.outbound_sent_content$$, $$values ('quote.pdf')$$,
  'one kept content, as sent');
-- a sent voice note's waveform reaches its row, for the inbox to draw (20261207008200), even when the contact's
-- delivery receipt settled the row (claim cleared) before the connector's call came; one outside the rule is left out
update public.outbound_messages set status = 'sending', claimed_by = 'conn-a', claim_expires_at = now() + interval '1 minute'
 where content_type = 'voice';
select is((select public.record_outbound_receipts(array[session_id], array[wa_message_id], array['delivered'::public.outbound_status])
  from public.outbound_messages where content_type = 'voice'), 1, 'the receipt comes first: the voice row is delivered, its claim cleared');
select is(public.record_outbound_content((select id from public.outbound_messages where content_type = 'voice'), 'conn-a',
  jsonb_build_object('audioMessage', jsonb_build_object('ptt', true, 'waveform', encode('\x0000326464'::bytea, 'base64')))), true,
  'the connector still keeps the voice note it sent');
select results_eq($$select content_type::text, media_waveform from public.outbound_messages where content_type in ('voice', 'document') order by 1$$,
  $$values ('document', null::bytea), ('voice', '\x0000326464'::bytea)$$, 'the voice row has the waveform it was sent with, the document none');
select is(public.record_outbound_content((select id from public.outbound_messages where content_type = 'voice'), 'conn-b',
  '{"audioMessage": {"ptt": true, "waveform": "AQID"}}'), false, 'on a settled row, a second send''s content does not replace the kept one');
select results_eq($$select c.message #>> '{audioMessage,waveform}', m.media_waveform from public.outbound_sent_content c
  join public.outbound_messages m on m.id = c.message_id where m.content_type = 'voice'$$,
  $$values (encode('\x0000326464'::bytea, 'base64'), '\x0000326464'::bytea)$$, '… neither its content nor its waveform');
update public.outbound_messages set status = 'sending', claimed_by = 'conn-a', claim_expires_at = now() + interval '1 minute'
 where content_type = 'voice';
select is(public.record_outbound_content((select id from public.outbound_messages where content_type = 'voice'), 'conn-a',
  jsonb_build_object('audioMessage', jsonb_build_object('waveform', encode(decode(repeat('ff', 300), 'hex'), 'base64')))), true,
  'a waveform longer than 256 bars does not stop the content being kept');
select is((select octet_length(media_waveform) from public.outbound_messages where content_type = 'voice'), 5,
  '… and is not taken for the row');
set local role authenticated;
select set_config('request.jwt.claims', :'alice', true);
select throws_ok($$select * from public.outbound_sent_content$$, '42501', null, 'users cannot read the kept content (media keys)');
select is((select media_waveform from public.outbound_messages where content_type = 'voice'), '\x0000326464'::bytea,
  'the owner reads the waveform of her voice note');
select throws_ok($$select public.record_outbound_content(gen_random_uuid(), 'me', '{}')$$, '42501', null,
  'users cannot write kept content');
reset role;

select * from finish();
rollback;
