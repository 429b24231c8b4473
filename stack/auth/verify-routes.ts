// POST /verify: the e-mailed token of an e-mail change (`verifyOtp({ token_hash, type: 'email_change' })`
// or `verifyOtp({ email, token, type: 'email_change' })`). On success GoTrue signs the user in: a new
// session with the confirmed address. Other verification types (signup, recovery, magic link, invite,
// phone) need flows this stack does not have: 422 not_implemented.
import { sendJson } from '../gateway/index.ts';
import { enforceRateLimit, jsonBody, stringField, type AuthRouteHandler } from './context.ts';
import { AuthError, authErrors } from './errors.ts';
import { emailTokenHash } from './mail.ts';
import { toSessionJson } from './tokens.ts';

const otpExpired = () => new AuthError(403, 'otp_expired', 'Token has expired or is invalid');

export const verify: AuthRouteHandler = async (ctx, request) => {
  enforceRateLimit(ctx.limits.tokenVerifications, request);
  const body = await jsonBody(request);
  const type = stringField(body, 'type');
  if (type !== 'email_change') throw authErrors.notImplemented(`Verification of type "${type ?? ''}"`);
  const tokenHash = stringField(body, 'token_hash');
  const email = stringField(body, 'email');
  const token = stringField(body, 'token');
  let hash: string;
  if (tokenHash) hash = tokenHash;
  else if (email && token) hash = emailTokenHash(email, token);
  else throw authErrors.validation('Verify requires either a token_hash, or an email and a token');
  const user = await ctx.store.confirmEmailChange(hash, ctx.config.otpExpirySeconds);
  if (!user) throw otpExpired();
  const { sessionId, refreshToken } = await ctx.store.createSession(user.id);
  const session = await toSessionJson(ctx.options, user, sessionId, refreshToken, 'email_change');
  sendJson(request.res, 200, session);
};
