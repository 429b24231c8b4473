// /auth/v1 through a real supabase-js client: sign-up, sign-in, refresh, getUser/getClaims, update, logout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { AuthApiError, AuthWeakPasswordError } from '@supabase/supabase-js';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

describe('auth (GoTrue subset)', () => {
  it('signs up with autoconfirm and issues an access token with the claims Supabase puts in it', async () => {
    const { user, session } = await stack.signUp({ data: { name: 'Ada' } });
    expect(user.email).toMatch(/@test\.local$/);
    expect(user.user_metadata).toMatchObject({ name: 'Ada' });
    expect(session.refresh_token).toBeTruthy();
    const claims = decodeJwt(session.access_token);
    expect(claims).toMatchObject({
      iss: `${stack.url}/auth/v1`, sub: user.id, aud: 'authenticated', role: 'authenticated', aal: 'aal1',
      email: user.email, is_anonymous: false, user_metadata: { name: 'Ada' },
    });
    for (const claim of ['exp', 'iat', 'session_id', 'amr', 'app_metadata', 'phone']) expect(claims).toHaveProperty(claim);
    const [row] = await stack.sql`select encrypted_password from auth.users where id = ${user.id}`;
    expect(row?.encrypted_password).toMatch(/^\$2[aby]\$10\$/);
  });

  it('signs in the seeded demo user whose hash pgcrypto made (bcrypt compatible)', async () => {
    const client = stack.client();
    const { data, error } = await client.auth.signInWithPassword({ email: 'demo@example.com', password: 'demo-password-123' });
    expect(error).toBeNull();
    expect(data.user?.email).toBe('demo@example.com');
  });

  it('rejects a wrong password with 400 invalid_credentials', async () => {
    const { email } = await stack.signUp();
    const { data, error } = await stack.client().auth.signInWithPassword({ email, password: 'not-the-password' });
    expect(data.session).toBeNull();
    expect(error).toBeInstanceOf(AuthApiError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_credentials' });
  });

  it('rejects a second sign-up with the same e-mail (422 user_already_exists) and a weak password (422 weak_password)', async () => {
    const { email } = await stack.signUp();
    const again = await stack.client().auth.signUp({ email: email.toUpperCase(), password: 'another-password' });
    expect(again.error).toMatchObject({ status: 422, code: 'user_already_exists' });
    const weak = await stack.client().auth.signUp({ email: `weak-${Date.now()}@test.local`, password: '123' });
    expect(weak.error).toBeInstanceOf(AuthWeakPasswordError);
    expect(weak.error).toMatchObject({ status: 422, code: 'weak_password' });
  });

  it('refreshes a session with refresh-token rotation; an unknown refresh token is refused', async () => {
    const { client, session } = await stack.signUp();
    const { data, error } = await client.auth.refreshSession();
    expect(error).toBeNull();
    expect(data.session?.refresh_token).toBeTruthy();
    expect(data.session?.refresh_token).not.toBe(session.refresh_token);
    expect(decodeJwt(data.session!.access_token).session_id).toBe(decodeJwt(session.access_token).session_id);
    // Within the reuse interval the old token yields the current one (concurrent tabs), as GoTrue does.
    const reuse = await stack.client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(reuse.data.session?.refresh_token).toBe(data.session?.refresh_token);
    const unknown = await stack.client().auth.refreshSession({ refresh_token: 'no-such-token' });
    expect(unknown.error).toMatchObject({ status: 400, code: 'refresh_token_not_found' });
  });

  it('reusing a rotated refresh token after the reuse interval ends the session (stolen-token defence)', async () => {
    const { client, session } = await stack.signUp();
    const { data } = await client.auth.refreshSession();
    await stack.sql`update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = ${session.refresh_token}`;
    const reuse = await stack.client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(reuse.error).toMatchObject({ status: 400, code: 'refresh_token_already_used' });
    const current = await stack.client().auth.refreshSession({ refresh_token: data.session!.refresh_token });
    expect(current.error).toMatchObject({ status: 400 });
  });

  it('getUser and getClaims (HS256: verified through GET /user) return the signed-in user', async () => {
    const { client, user } = await stack.signUp();
    const got = await client.auth.getUser();
    expect(got.error).toBeNull();
    expect(got.data.user?.id).toBe(user.id);
    const claims = await client.auth.getClaims();
    expect(claims.error).toBeNull();
    expect(claims.data?.claims.sub).toBe(user.id);
  });

  it('updates user metadata and password with PUT /user', async () => {
    const { client, email } = await stack.signUp();
    const { data, error } = await client.auth.updateUser({ data: { plan: 'pro' }, password: 'new-password-456' });
    expect(error).toBeNull();
    expect(data.user?.user_metadata).toMatchObject({ plan: 'pro' });
    const again = await stack.client().auth.signInWithPassword({ email, password: 'new-password-456' });
    expect(again.error).toBeNull();
  });

  it('metadata updates merge key by key and a key set to null is removed, as GoTrue does (user and admin API)', async () => {
    const { client, user } = await stack.signUp({ data: { name: 'Ada', nickname: 'ada' } });
    const { data, error } = await client.auth.updateUser({ data: { nickname: null, plan: 'pro' } });
    expect(error).toBeNull();
    expect(data.user?.user_metadata).toEqual({ name: 'Ada', plan: 'pro' });
    const admin = stack.serviceClient().auth.admin;
    await admin.updateUserById(user.id, { app_metadata: { tier: 'gold', flag: true } });
    const updated = await admin.updateUserById(user.id, { app_metadata: { flag: null }, user_metadata: { plan: null } });
    expect(updated.error).toBeNull();
    expect(updated.data.user?.app_metadata).toMatchObject({ tier: 'gold' });
    expect(updated.data.user?.app_metadata).not.toHaveProperty('flag');
    expect(updated.data.user?.user_metadata).toEqual({ name: 'Ada' });
  });

  it('PUT /user with a new e-mail only records the change; a confirmation token through POST /verify (verifyOtp) completes it, once', async () => {
    const { client, email, password, user } = await stack.signUp();
    const newEmail = `changed-${Date.now()}@test.local`;
    const { data, error } = await client.auth.updateUser({ email: newEmail });
    expect(error).toBeNull();
    expect(data.user?.email).toBe(email);
    expect(data.user?.new_email).toBe(newEmail);
    expect(data.user?.email_change_sent_at).toBeTruthy();
    expect((await client.auth.getUser()).data.user).toMatchObject({ email, new_email: newEmail });
    const withNew = await stack.client().auth.signInWithPassword({ email: newEmail, password });
    expect(withNew.error?.code).toBe('invalid_credentials');

    const taken = await client.auth.updateUser({ email: (await stack.signUp()).email });
    expect(taken.error?.status).toBe(422);
    expect(taken.error?.code).toBe('email_exists');

    const forged = await stack.client().auth.verifyOtp({ token_hash: 'f'.repeat(56), type: 'email_change' });
    expect(forged.error?.status).toBe(403);
    expect(forged.error?.code).toBe('otp_expired');
    // The confirmation mails carry the token hash (config.toml double_confirm_changes: one to each address).
    const [row] = await stack.sql<{ new_hash: string; current_hash: string }[]>`
      select email_change_token_new as new_hash, email_change_token_current as current_hash from auth.users where id = ${user.id}`;
    expect(row?.new_hash).toMatch(/^[0-9a-f]{56}$/);
    expect(row?.current_hash).toMatch(/^[0-9a-f]{56}$/);
    const verified = await stack.client().auth.verifyOtp({ token_hash: row!.new_hash, type: 'email_change' });
    expect(verified.error).toBeNull();
    expect(verified.data.user?.email).toBe(newEmail);
    expect(verified.data.user?.new_email).toBeUndefined();
    expect(verified.data.session?.access_token).toBeTruthy();
    expect((await stack.client().auth.signInWithPassword({ email: newEmail, password })).error).toBeNull();
    expect((await stack.client().auth.signInWithPassword({ email, password })).error?.code).toBe('invalid_credentials');
    const replay = await stack.client().auth.verifyOtp({ token_hash: row!.new_hash, type: 'email_change' });
    expect(replay.error?.code).toBe('otp_expired');
    const otherType = await stack.client().auth.verifyOtp({ token_hash: row!.current_hash, type: 'signup' });
    expect(otherType.error?.status).toBe(422);
    expect(otherType.error?.code).toBe('not_implemented');
    expect(otherType.error?.message).toMatch(/"signup" is not supported by the local development stack/);
  });

  it('logout ends the session: its token no longer identifies a user and its refresh token is dead', async () => {
    const { client, accessToken, session } = await stack.signUp();
    const { error } = await client.auth.signOut();
    expect(error).toBeNull();
    const after = await stack.client().auth.getUser(accessToken);
    expect(after.data.user).toBeNull();
    expect(after.error?.name).toBe('AuthSessionMissingError'); // auth-js maps GoTrue's session_not_found to it
    const raw = await fetch(`${stack.url}/auth/v1/user`, { headers: { apikey: stack.publishableKey, authorization: `Bearer ${accessToken}` } });
    expect(raw.status).toBe(403);
    expect(await raw.json()).toMatchObject({ error_code: 'session_not_found' });
    const refresh = await stack.client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(refresh.error).toMatchObject({ status: 400 });
  });

  it('lets the service role create and delete users (auth.admin)', async () => {
    const admin = stack.serviceClient();
    const email = `admin-made-${Date.now()}@test.local`;
    const created = await admin.auth.admin.createUser({ email, password: 'admin-password-1', email_confirm: true });
    expect(created.error).toBeNull();
    const signedIn = await stack.client().auth.signInWithPassword({ email, password: 'admin-password-1' });
    expect(signedIn.error).toBeNull();
    const deleted = await admin.auth.admin.deleteUser(created.data.user!.id);
    expect(deleted.error).toBeNull();
    const byUser = await stack.client().auth.admin.createUser({ email: `x-${email}`, password: 'whatever-1' });
    expect(byUser.error).toMatchObject({ status: 403 });
  });
});
