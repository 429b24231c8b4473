// /rest/v1 through real supabase-js clients on the project's own tables: RLS per user, filters,
// modifiers, count, single/maybeSingle, insert/upsert/update/delete and rpc, with PostgREST's errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let alice: SignedUpUser;
let bob: SignedUpUser;
let aliceSession: string;

beforeAll(async () => {
  stack = await startTestStack();
  [alice, bob] = await Promise.all([stack.signUp(), stack.signUp()]);
  const { data, error } = await alice.client.rpc('request_whatsapp_link');
  if (error) throw error;
  aliceSession = (data as { id: string }).id;
});
afterAll(() => stack?.stop());

async function queue(client: SupabaseClient, sessionId: string, text: string, extra: Record<string, unknown> = {}) {
  return client.from('outbound_messages').insert({ session_id: sessionId, recipient: '+15551234567', text, ...extra }).select().single();
}

describe('rest (PostgREST subset) with RLS', () => {
  it('rpc request_whatsapp_link creates the caller’s session and returns the row as an object', async () => {
    const { data, error, status } = await alice.client.rpc('request_whatsapp_link', { p_link_method: 'qr' });
    expect(error).toBeNull();
    expect(status).toBe(200);
    expect(data).toMatchObject({ id: aliceSession, user_id: alice.user.id, status: 'new', link_method: 'qr' });
  });

  it('a user reads only their own rows; another user sees nothing of them', async () => {
    const own = await alice.client.from('whatsapp_sessions').select('id, status').eq('id', aliceSession);
    expect(own.error).toBeNull();
    expect(own.data).toEqual([{ id: aliceSession, status: 'new' }]);
    const other = await bob.client.from('whatsapp_sessions').select('*').eq('id', aliceSession);
    expect(other.error).toBeNull();
    expect(other.data).toEqual([]);
  });

  it('a user inserts outbound messages on their own session and gets the row back (return=representation)', async () => {
    const { data, error, status } = await queue(alice.client, aliceSession, 'hello from alice');
    expect(error).toBeNull();
    expect(status).toBe(201);
    expect(data).toMatchObject({ session_id: aliceSession, user_id: alice.user.id, status: 'queued', text: 'hello from alice' });
    expect(data.wa_message_id).toMatch(/^3EB0[0-9A-F]{20}$/);
  });

  it('insert without select() returns 201 and no body (return=minimal)', async () => {
    const { data, error, status } = await alice.client.from('outbound_messages').insert({ session_id: aliceSession, recipient: '+15551234567', text: 'minimal' });
    expect(error).toBeNull();
    expect(status).toBe(201);
    expect(data).toBeNull();
  });

  it('another user cannot queue a message on someone else’s session (RLS → 403 42501) and nothing is written', async () => {
    const { data, error, status } = await queue(bob.client, aliceSession, 'bob sneaks in', { user_id: alice.user.id });
    expect(data).toBeNull();
    expect(status).toBe(403);
    expect(error).toMatchObject({ code: '42501' });
    const [row] = await stack.sql`select count(*)::int as n from outbound_messages where text = 'bob sneaks in'`;
    expect(row?.n).toBe(0);
  });

  it('users cannot update or delete rows they have no grant for (403), anon cannot read (401)', async () => {
    const update = await alice.client.from('outbound_messages').update({ status: 'sent' }).eq('session_id', aliceSession);
    expect(update.status).toBe(403);
    expect(update.error?.code).toBe('42501');
    const anon = await stack.client().from('outbound_messages').select('*');
    expect(anon.status).toBe(401);
    expect(anon.error?.code).toBe('42501');
  });

  it('filters, order, limit, range and count=exact behave like PostgREST', async () => {
    for (const text of ['alpha one', 'beta two', 'gamma three']) await queue(alice.client, aliceSession, text);
    const q = () => alice.client.from('outbound_messages').select('text', { count: 'exact' }).eq('session_id', aliceSession);
    const like = await q().like('text', '%a t%').order('text');
    expect(like.data?.map((r) => r.text)).toEqual(['beta two', 'gamma three']);
    const ilike = await q().ilike('text', 'ALPHA%');
    expect(ilike.data).toEqual([{ text: 'alpha one' }]);
    const inList = await q().in('text', ['alpha one', 'gamma three', 'x,y']).order('text', { ascending: false });
    expect(inList.data?.map((r) => r.text)).toEqual(['gamma three', 'alpha one']);
    expect(inList.count).toBe(2);
    const neq = await q().neq('text', 'alpha one').is('error', null).in('text', ['alpha one', 'beta two']);
    expect(neq.data).toEqual([{ text: 'beta two' }]);
    const ranged = await q().in('text', ['alpha one', 'beta two', 'gamma three']).order('text').range(1, 2);
    expect(ranged.data?.map((r) => r.text)).toEqual(['beta two', 'gamma three']);
    expect(ranged.count).toBe(3);
    const limited = await q().order('created_at', { ascending: true }).limit(1);
    expect(limited.data).toHaveLength(1);
    const gt = await q().gt('created_at', '2000-01-01T00:00:00Z').lte('attempts', 0).gte('attempts', 0).lt('attempts', 1);
    expect(gt.count).toBeGreaterThanOrEqual(4);
    const or = await q().or('text.eq.alpha one,text.eq.beta two');
    expect(or.count).toBe(2);
    const head = await alice.client.from('outbound_messages').select('*', { count: 'exact', head: true }).eq('session_id', aliceSession);
    expect(head.data).toBeNull();
    expect(head.count).toBeGreaterThanOrEqual(5);
  });

  it('single() and maybeSingle() return one object, or PGRST116 (406) when the count is wrong', async () => {
    const one = await alice.client.from('whatsapp_sessions').select('id').eq('id', aliceSession).single();
    expect(one.data).toEqual({ id: aliceSession });
    const none = await alice.client.from('whatsapp_sessions').select('id').eq('id', '00000000-0000-4000-8000-000000000000').single();
    expect(none.status).toBe(406);
    expect(none.error?.code).toBe('PGRST116');
    const maybe = await alice.client.from('whatsapp_sessions').select('id').eq('id', '00000000-0000-4000-8000-000000000000').maybeSingle();
    expect(maybe.error).toBeNull();
    expect(maybe.data).toBeNull();
    const many = await alice.client.from('outbound_messages').select('id').eq('session_id', aliceSession).single();
    expect(many.status).toBe(406);
  });

  it('upsert: ignore-duplicates keeps the first row; merge-duplicates (service role) updates it; on_conflict is honoured', async () => {
    const key = `idem-${Date.now()}`;
    const first = await queue(alice.client, aliceSession, 'first', { idempotency_key: key });
    expect(first.error).toBeNull();
    const dup = await alice.client
      .from('outbound_messages')
      .upsert({ session_id: aliceSession, user_id: alice.user.id, recipient: '+15551234567', text: 'second', idempotency_key: key }, { onConflict: 'user_id,idempotency_key', ignoreDuplicates: true })
      .select();
    expect(dup.error).toBeNull();
    expect(dup.data).toEqual([]);
    const plain = await queue(alice.client, aliceSession, 'second', { idempotency_key: key });
    expect(plain.status).toBe(409);
    expect(plain.error?.code).toBe('23505');
    const service = stack.serviceClient();
    const merged = await service.from('outbound_messages').upsert({ id: first.data!.id, session_id: aliceSession, user_id: alice.user.id, recipient: '+15551234567', text: 'merged' }).select('id, text').single();
    expect(merged.error).toBeNull();
    expect(merged.data).toEqual({ id: first.data!.id, text: 'merged' });
  });

  it('the service role bypasses RLS: it sees, updates and deletes any row', async () => {
    const service = stack.serviceClient();
    const { data: row } = await queue(alice.client, aliceSession, 'to be failed');
    const updated = await service.from('outbound_messages').update({ status: 'failed', failed_at: new Date().toISOString(), error: 'test' }).eq('id', row!.id).select('status').single();
    expect(updated.error).toBeNull();
    expect(updated.data).toEqual({ status: 'failed' });
    const removed = await service.from('outbound_messages').delete().eq('id', row!.id).select('id');
    expect(removed.data).toEqual([{ id: row!.id }]);
    const gone = await alice.client.from('outbound_messages').select('id').eq('id', row!.id);
    expect(gone.data).toEqual([]);
  });

  it('bulk insert: missing keys are null (23502 here), or the column default with defaultToNull: false; select with aliases, casts, JSON paths', async () => {
    const service = stack.serviceClient();
    const rows = [
      { session_id: aliceSession, user_id: alice.user.id, command: 'disconnect', payload: { reason: 'bulk-a' } },
      { session_id: aliceSession, user_id: alice.user.id, command: 'disconnect' },
    ];
    const asNull = await service.from('session_commands').insert(rows).select('id');
    expect(asNull.error?.code).toBe('23502');
    const inserted = await service.from('session_commands').insert(rows, { defaultToNull: false }).select('id, payload');
    expect(inserted.error).toBeNull();
    expect(inserted.data?.map((r) => r.payload)).toEqual([{ reason: 'bulk-a' }, {}]);
    const read = await alice.client.from('session_commands').select('kind:command, reason:payload->>reason, sid:session_id::text').eq('payload->>reason', 'bulk-a');
    expect(read.error).toBeNull();
    expect(read.data).toEqual([{ kind: 'disconnect', reason: 'bulk-a', sid: aliceSession }]);
  });

  it('rpc errors with our SQLSTATEs come back as 400 with that code; unknown functions are 404 PGRST202', async () => {
    const bad = await alice.client.rpc('request_session_command', { p_session_id: aliceSession, p_command: 'explode' });
    expect(bad.status).toBe(400);
    expect(bad.error?.code).toBe('WL422');
    const notMine = await bob.client.rpc('request_session_command', { p_session_id: aliceSession, p_command: 'logout' });
    expect(notMine.error?.code).toBe('WL404');
    const unknown = await alice.client.rpc('no_such_function', { a: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.error?.code).toBe('PGRST202');
    const anon = await stack.client().rpc('request_whatsapp_link');
    expect(anon.status).toBe(401);
  });

  it('rpc over GET (get: true) runs read-only; a writing function then fails with 405/25006', async () => {
    const { status, error } = await alice.client.rpc('request_session_command', { p_session_id: aliceSession, p_command: 'disconnect' }, { get: true });
    expect(status).toBe(405);
    expect(error?.code).toBe('25006');
  });

  it('views with security_invoker follow RLS (session_statistics)', async () => {
    const { data, error } = await alice.client.from('session_statistics').select('user_id, total_sessions');
    expect(error).toBeNull();
    expect(data).toEqual([{ user_id: alice.user.id, total_sessions: 1 }]);
  });

  it('a user deletes only rows RLS lets them delete', async () => {
    const del = await bob.client.from('whatsapp_sessions').delete().eq('id', aliceSession).select();
    expect(del.error).toBeNull();
    expect(del.data).toEqual([]);
    const [row] = await stack.sql`select count(*)::int as n from whatsapp_sessions where id = ${aliceSession}`;
    expect(row?.n).toBe(1);
  });

  it('embeds related rows through foreign keys: many-to-one object, one-to-many array, embedded filters and !inner', async () => {
    await queue(alice.client, aliceSession, 'embedded');
    const toOne = await alice.client.from('outbound_messages').select('text, session:whatsapp_sessions(id, status)').eq('text', 'embedded').single();
    expect(toOne.error).toBeNull();
    expect(toOne.data).toEqual({ text: 'embedded', session: { id: aliceSession, status: 'new' } });
    const toMany = await alice.client.from('whatsapp_sessions').select('id, outbound_messages(text)').eq('id', aliceSession).single();
    expect(toMany.error).toBeNull();
    expect((toMany.data!.outbound_messages as { text: string }[]).map((m) => m.text)).toContain('embedded');
    const filteredChildren = await alice.client.from('whatsapp_sessions').select('id, outbound_messages(text)')
      .eq('id', aliceSession).eq('outbound_messages.text', 'embedded').single();
    expect(filteredChildren.data).toEqual({ id: aliceSession, outbound_messages: [{ text: 'embedded' }] });
    const inner = await alice.client.from('outbound_messages').select('text, whatsapp_sessions!inner(status)')
      .eq('text', 'embedded').eq('whatsapp_sessions.status', 'new');
    expect(inner.data).toEqual([{ text: 'embedded', whatsapp_sessions: { status: 'new' } }]);
    const innerNone = await alice.client.from('outbound_messages').select('text, whatsapp_sessions!inner(status)')
      .eq('text', 'embedded').eq('whatsapp_sessions.status', 'connected');
    expect(innerNone.data).toEqual([]);
    const notSelected = await alice.client.from('outbound_messages').select('text').eq('whatsapp_sessions.status', 'new');
    expect(notSelected.status).toBe(400);
    expect(notSelected.error?.code).toBe('PGRST108');
    const unrelated = await alice.client.from('outbound_messages').select('id, inbound_messages(id)');
    expect(unrelated.status).toBe(400);
    expect(unrelated.error?.code).toBe('PGRST200');
  });

  it('UPDATE and DELETE without a filter are refused (21000), as Supabase’s safeupdate does', async () => {
    const service = stack.serviceClient();
    const del = await service.from('outbound_messages').delete();
    expect(del.status).toBe(400);
    expect(del.error?.code).toBe('21000');
    const [row] = await stack.sql`select count(*)::int as n from outbound_messages where session_id = ${aliceSession}`;
    expect(row?.n).toBeGreaterThan(0);
  });

  it('rpc over GET passes query arguments and returns a scalar; new-style publishable/secret keys work as anon/service_role', async () => {
    const scalar = await alice.client.rpc('is_active_session_status', { p_status: 'qr' }, { get: true });
    expect(scalar.error).toBeNull();
    expect(scalar.data).toBe(true);
    const { createClient } = await import('@supabase/supabase-js');
    const { default: WebSocket } = await import('ws');
    const options = { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } };
    const publishable = createClient(stack.url, stack.publishableKey, options);
    const asAnon = await publishable.from('outbound_messages').select('id').limit(1);
    expect(asAnon.status).toBe(401);
    const signedIn = await publishable.auth.signInWithPassword({ email: alice.email, password: alice.password });
    expect(signedIn.error).toBeNull();
    const own = await publishable.from('whatsapp_sessions').select('id');
    expect(own.data).toEqual([{ id: aliceSession }]);
    const secret = createClient(stack.url, stack.secretKey, options);
    const all = await secret.from('whatsapp_sessions').select('id', { count: 'exact', head: true });
    expect(all.error).toBeNull();
    expect(all.count).toBeGreaterThanOrEqual(1);
  });
});
