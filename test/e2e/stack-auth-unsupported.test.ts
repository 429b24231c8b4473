// What /auth/v1 does not implement is refused by name (issue 18.1), through the calls of a real supabase-js:
// GoTrue routes auth-js uses answer 422 not_implemented naming the route (not GoTrue's 404 for a route that does
// not exist, which reads as a wrong URL; not 501, which auth-js turns into a retryable error without the body).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type SignedUpUser, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let user: SignedUpUser;
beforeAll(async () => {
  stack = await startTestStack();
  user = await stack.signUp();
});
afterAll(() => stack?.stop());

const unsupported = (what: string) => ({ status: 422, code: 'not_implemented', message: `${what} is not supported by the local development stack` });
const shape = (error: { status?: number; code?: string; message: string } | null) =>
  ({ status: error?.status, code: error?.code, message: error?.message });

describe.skipIf(Boolean(process.env.SUPABASE_URL))('auth: what the local stack does not serve', () => {
  it('user-side routes: resend, reauthenticate, MFA enrol, SSO, PKCE code exchange, id_token sign-in', async () => {
    const { client, email } = user;
    expect(shape((await client.auth.resend({ type: 'signup', email })).error)).toEqual(unsupported('/resend'));
    expect(shape((await client.auth.reauthenticate()).error)).toEqual(unsupported('/reauthenticate'));
    expect(shape((await client.auth.mfa.enroll({ factorType: 'totp' })).error)).toEqual(unsupported('/factors'));
    expect(shape((await stack.client().auth.signInWithSSO({ domain: 'example.com' })).error)).toEqual(unsupported('/sso'));
    expect(shape((await stack.client().auth.signInWithIdToken({ provider: 'google', token: 'x.y.z' })).error))
      .toEqual(unsupported('grant_type=id_token'));
    const exchange = await fetch(`${stack.url}/auth/v1/token?grant_type=pkce`, {
      method: 'POST', headers: { apikey: stack.publishableKey, 'content-type': 'application/json' }, body: JSON.stringify({ auth_code: 'a', code_verifier: 'b' }),
    });
    expect(exchange.status).toBe(422);
    expect(await exchange.json()).toMatchObject({ error_code: 'not_implemented', msg: 'grant_type=pkce is not supported by the local development stack' });
  });

  it('admin routes: generateLink and a user’s MFA factors', async () => {
    const admin = stack.serviceClient();
    expect(shape((await admin.auth.admin.generateLink({ type: 'magiclink', email: user.email })).error)).toEqual(unsupported('/admin/generate_link'));
    const factors = await admin.auth.admin.mfa.listFactors({ userId: user.user.id });
    expect(shape(factors.error)).toEqual(unsupported(`/admin/users/${user.user.id}/factors`));
  });

  it('a grant GoTrue does not know is 400 unsupported_grant_type and a path it does not have 404, as GoTrue answers', async () => {
    const post = (path: string) => fetch(`${stack.url}/auth/v1${path}`, { method: 'POST', headers: { apikey: stack.publishableKey, 'content-type': 'application/json' }, body: '{}' });
    const grant = await post('/token?grant_type=magic');
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error_code: 'unsupported_grant_type' });
    expect((await post('/no-such-route')).status).toBe(404);
  });
});
