// /auth/v1/admin where a CRM relies on GoTrue's exact answers (issue 18.2), with a real supabase-js service client:
// listUsers newest first with X-Total-Count and Link (auth-js reads nextPage/lastPage/total from them),
// invalid e-mails refused as GoTrue's validateEmail refuses them, email_confirm honoured on create and update.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';

const external = Boolean(process.env.SUPABASE_URL);
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

describe.skipIf(external)('auth admin', () => {
  it('listUsers: newest first, paginated, with the total and the next/last pages', async () => {
    const admin = stack.serviceClient();
    const emails = ['list-a@test.local', 'list-b@test.local', 'list-c@test.local'];
    for (const email of emails) {
      const { error } = await admin.auth.admin.createUser({ email, password: 'list-password-1', email_confirm: true });
      expect(error).toBeNull();
    }
    const [{ n } = { n: 0 }] = await stack.sql<{ n: number }[]>`select count(*)::int as n from auth.users`;
    const first = await admin.auth.admin.listUsers({ page: 1, perPage: 2 });
    expect(first.error).toBeNull();
    expect(first.data.users.map((u) => u.email)).toEqual(['list-c@test.local', 'list-b@test.local']);
    expect(first.data).toMatchObject({ total: n, nextPage: 2, lastPage: Math.ceil(n / 2) });
    const second = await admin.auth.admin.listUsers({ page: 2, perPage: 2 });
    expect(second.data.users[0]?.email).toBe('list-a@test.local');

    const res = await fetch(`${stack.url}/auth/v1/admin/users?per_page=2&page=1`, { headers: { apikey: stack.secretKey, authorization: `Bearer ${stack.secretKey}` } });
    expect(res.headers.get('x-total-count')).toBe(String(n));
    expect(res.headers.get('link')).toBe(`</admin/users?page=2&per_page=2>; rel="next", </admin/users?page=${Math.ceil(n / 2)}&per_page=2>; rel="last"`);
    const oldest = await fetch(`${stack.url}/auth/v1/admin/users?sort=created_at%20asc&filter=list-`, { headers: { apikey: stack.secretKey, authorization: `Bearer ${stack.secretKey}` } });
    const body = (await oldest.json()) as { users: { email: string }[] };
    expect(body.users.map((u) => u.email)).toEqual(emails);
    const badSort = await fetch(`${stack.url}/auth/v1/admin/users?sort=email`, { headers: { apikey: stack.secretKey, authorization: `Bearer ${stack.secretKey}` } });
    expect(badSort.status).toBe(400);
    expect(await badSort.json()).toMatchObject({ error_code: 'validation_failed', msg: "Bad Sort Parameters: bad field for sort 'email'" });
  });

  it('invalid e-mail addresses are refused with 400 validation_failed (create, update, sign-up)', async () => {
    const admin = stack.serviceClient();
    for (const email of ['no-at-sign', 'two@@test.local', 'trailing-dot@test.', 'spaces in@test.local', 'bad@-host.local']) {
      const { error } = await admin.auth.admin.createUser({ email, password: 'whatever-pass-1' });
      expect({ email, status: error?.status, code: error?.code, message: error?.message })
        .toEqual({ email, status: 400, code: 'validation_failed', message: 'Unable to validate email address: invalid format' });
    }
    const tooLong = await admin.auth.admin.createUser({ email: `${'a'.repeat(251)}@x.io`, password: 'whatever-pass-1' });
    expect(tooLong.error?.message).toBe('An email address is too long');
    const created = await admin.auth.admin.createUser({ email: 'Mixed.Case@Test.Local', password: 'whatever-pass-1', email_confirm: true });
    expect(created.data.user?.email).toBe('mixed.case@test.local');
    const update = await admin.auth.admin.updateUserById(created.data.user!.id, { email: 'not an address' });
    expect(update.error).toMatchObject({ status: 400, code: 'validation_failed' });
    const signUp = await stack.client().auth.signUp({ email: 'nobody@', password: 'whatever-pass-1' });
    expect(signUp.error).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('email_confirm: without it the user cannot sign in (email_not_confirmed); updating with it confirms', async () => {
    const admin = stack.serviceClient();
    const email = 'unconfirmed@test.local';
    const created = await admin.auth.admin.createUser({ email, password: 'confirm-password-1' });
    expect(created.error).toBeNull();
    expect(created.data.user?.email_confirmed_at ?? null).toBeNull();
    const refused = await stack.client().auth.signInWithPassword({ email, password: 'confirm-password-1' });
    expect(refused.error).toMatchObject({ status: 400, code: 'email_not_confirmed', message: 'Email not confirmed' });
    const confirmed = await admin.auth.admin.updateUserById(created.data.user!.id, { email_confirm: true });
    expect(confirmed.error).toBeNull();
    expect(confirmed.data.user?.email_confirmed_at).toBeTruthy();
    const signedIn = await stack.client().auth.signInWithPassword({ email, password: 'confirm-password-1' });
    expect(signedIn.error).toBeNull();
  });
});
