-- One rule for "this session's lease is live" (migration 20261207007430): session_lease_live(owner, expiry) is
-- live while the lease's own expiry or its owner's heartbeat has not passed, never null; the fenced writes and
-- the take-over of one session ask it; the scans (claims, clean-ups) spell it out and must agree with it.
begin;
select plan(16);

insert into public.connector_heartbeats (owner, expires_at) values
  ('beating', now() + interval '1 hour'), ('stopped', now() - interval '1 second');

select is(public.session_lease_live(null, null), false, 'no owner: not live');
select is(public.session_lease_live('gone', now() + interval '1 minute'), true, 'its own expiry ahead: live');
select is(public.session_lease_live('beating', now() - interval '1 minute'), true,
  'its own expiry passed, the owner''s heartbeat ahead: live');
select is(public.session_lease_live('stopped', now() - interval '1 minute'), false,
  'its own expiry and the owner''s heartbeat passed: not live');
select is(public.session_lease_live('gone', now() - interval '1 minute'), false,
  'its own expiry passed, no heartbeat of the owner: not live');
select is(public.session_lease_live('gone', null), false, 'an owner without an expiry: not live (not null)');

-- The connector's functions follow it: a session held by 'beating' past its own expiry is fenced for its holder
-- and closed to a take-over; held by 'stopped' it is lost to its holder and open to one.
insert into auth.users (id, email) values ('15151515-1515-4515-8515-151515151515', 'lease@live.test');
insert into public.whatsapp_sessions
  (id, user_id, status, phone_number, connected_at, lease_owner, lease_epoch, lease_expires_at) values
  ('15151515-0000-4000-8000-000000000001', '15151515-1515-4515-8515-151515151515', 'connected', '+15550001515',
   now(), 'beating', 1, now() - interval '1 minute');
select lives_ok($$ select public.assert_session_lease('15151515-0000-4000-8000-000000000001', 'beating', 1) $$,
  'assert_session_lease: the holder with a live heartbeat keeps the lease');
select is(public.set_session_status('15151515-0000-4000-8000-000000000001', 'beating', 1, 'reconnecting'), true,
  'set_session_status: the holder with a live heartbeat writes');
select is(public.acquire_session_lease('15151515-0000-4000-8000-000000000001', 'other', interval '1 minute'), null,
  'acquire_session_lease: another connector cannot take a live lease');
select is((select count(*)::int from public.claim_wanted_sessions('other', interval '1 minute', 100)
            where id = '15151515-0000-4000-8000-000000000001'), 0,
  'claim_wanted_sessions: a live lease is not handed out');

update public.whatsapp_sessions set lease_owner = 'stopped' where id = '15151515-0000-4000-8000-000000000001';
select throws_ok($$ select public.assert_session_lease('15151515-0000-4000-8000-000000000001', 'stopped', 1) $$,
  'WL001', null, 'assert_session_lease: the holder whose heartbeat ran out lost the lease');
select is(public.record_session_wa_version('15151515-0000-4000-8000-000000000001', 'stopped', 1, '2.3000.1'), false,
  'record_session_wa_version: fenced out once the heartbeat ran out');
select is(public.set_session_restriction('15151515-0000-4000-8000-000000000001', 'stopped', 1, null, null), false,
  'set_session_restriction: fenced out once the heartbeat ran out');
select is((select count(*)::int from public.claim_wanted_sessions('other', interval '1 minute', 100)
            where id = '15151515-0000-4000-8000-000000000001'), 1,
  'claim_wanted_sessions: a dead lease is taken over');
select is((select lease_owner from public.whatsapp_sessions where id = '15151515-0000-4000-8000-000000000001'),
  'other', 'the take-over moved the lease');

-- Written once for one session: only the rule itself, the heartbeat renewal and the scans that keep it spelled
-- out as an anti-join (20261207007430 says why) read connector_heartbeats.
select is((select array_agg(p.proname::text order by p.proname) from pg_proc p
            where p.pronamespace = 'public'::regnamespace and p.prosrc like '%connector_heartbeats%'),
  array['claim_ready_outbound_messages', 'claim_session_commands', 'claim_wanted_sessions',
        'delete_unfinished_link_credentials', 'renew_session_leases', 'session_lease_live',
        'wipe_abandoned_ended_sessions'],
  'no other function spells out the live-lease rule');

select * from finish();
rollback;
