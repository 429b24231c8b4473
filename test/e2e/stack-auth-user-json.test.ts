// The user object /auth/v1 sends has GoTrue's keys and time format (issue 18), read through real supabase-js:
// encoding/json of supabase/auth internal/models/user.go, where every *time.Time is `omitempty` (an unset time is
// absent, never null) and a time is RFC 3339 with Postgres' microseconds, trailing zeros cut (time.RFC3339Nano), UTC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

const RFC3339_MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/;
/** What a *time.Time field marshals to when set: Go trims the fraction's zeros, so its last digit is never 0. */
const goTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z$/);

describe('auth user JSON (GoTrue models.User)', () => {
  it('a signed-up user: the confirmed and signed-in times are there, as GoTrue writes them, and match the row', async () => {
    const { user } = await stack.signUp();
    expect(Object.keys(user)).toEqual([
      'id', 'aud', 'role', 'email', 'email_confirmed_at', 'phone', 'confirmed_at', 'last_sign_in_at',
      'app_metadata', 'user_metadata', 'identities', 'created_at', 'updated_at', 'is_anonymous',
    ]);
    expect(user).toMatchObject({ email_confirmed_at: goTime, confirmed_at: goTime, last_sign_in_at: goTime, created_at: goTime, updated_at: goTime });
    const [row] = await stack.sql<{ micros: string }[]>`
      select (extract(epoch from created_at) * 1000000)::bigint::text as micros from auth.users where id = ${user.id}`;
    const [seconds, fraction = ''] = user.created_at.slice(0, -1).split('.');
    const micros = BigInt(Date.parse(`${seconds}Z`)) * 1000n + BigInt(fraction.padEnd(6, '0'));
    expect(micros.toString()).toBe(row!.micros);
    expect(user.identities?.[0]).toMatchObject({ provider: 'email', last_sign_in_at: goTime, created_at: goTime, email: user.email });
  });

  it('an unconfirmed user created by the admin API has no email_confirmed_at, confirmed_at or last_sign_in_at key', async () => {
    const admin = stack.serviceClient();
    const { data, error } = await admin.auth.admin.createUser({ email: 'json-unconfirmed@test.local', password: 'json-password-1' });
    expect(error).toBeNull();
    const keys = ['id', 'aud', 'role', 'email', 'phone', 'app_metadata', 'user_metadata', 'identities', 'created_at', 'updated_at', 'is_anonymous'];
    expect(Object.keys(data.user!)).toEqual(keys);
    const fetched = await admin.auth.admin.getUserById(data.user!.id);
    expect(Object.keys(fetched.data.user!)).toEqual(keys);
    expect(data.user!.phone).toBe('');
  });

  it('times keep their microseconds and lose only trailing zeros; a pending e-mail change shows as new_email', async () => {
    const { client, user } = await stack.signUp();
    await stack.sql`update auth.users set created_at = '2026-12-08 04:35:12.123450+00', email_confirmed_at = '2026-12-08 06:35:12+02',
      last_sign_in_at = '2026-12-08 04:35:12.000001+00', banned_until = '2000-01-01 00:00:00.5+00' where id = ${user.id}`;
    const { data, error } = await client.auth.getUser();
    expect(error).toBeNull();
    expect(data.user).toMatchObject({
      created_at: '2026-12-08T04:35:12.12345Z', email_confirmed_at: '2026-12-08T04:35:12Z', confirmed_at: '2026-12-08T04:35:12Z',
      last_sign_in_at: '2026-12-08T04:35:12.000001Z', banned_until: '2000-01-01T00:00:00.5Z',
    });
    expect(data.user!.updated_at).toMatch(RFC3339_MICROS);
    expect(data.user).not.toHaveProperty('new_email');

    const changed = await client.auth.updateUser({ email: `new-${user.email}` });
    expect(changed.error).toBeNull();
    expect(changed.data.user).toMatchObject({ new_email: `new-${user.email}`, email_change_sent_at: goTime });
    const listed = await stack.serviceClient().auth.admin.getUserById(user.id);
    expect(listed.data.user).toMatchObject({ new_email: `new-${user.email}`, email_change_sent_at: goTime });
  });
});
