// Access tokens with the claims GoTrue puts in them, and the session JSON auth-js expects.
import { SignJWT } from 'jose';
import type { JwtKeys } from '../keys.ts';
import type { UserRow } from './store.ts';
import { toUserJson } from './user-json.ts';

export interface TokenSettings {
  /** Signs access tokens (ES256 with the current signing key, or the legacy HS256 secret) and serves the JWKS. */
  jwtKeys: JwtKeys;
  /** Seconds an access token lives (config.toml auth.jwt_expiry, 3600 by default). */
  jwtExpirySeconds: number;
  /** `<gateway url>/auth/v1`: the `iss` claim. */
  issuer: () => string;
}

export async function signAccessToken(settings: TokenSettings, user: UserRow, sessionId: string, method = 'password') {
  const now = Math.floor(Date.now() / 1000);
  const expiresAt = now + settings.jwtExpirySeconds;
  const accessToken = await settings.jwtKeys.sign(new SignJWT({
    email: user.email ?? '',
    phone: user.phone ?? '',
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role ?? 'authenticated',
    aal: 'aal1',
    amr: [{ method, timestamp: now }],
    session_id: sessionId,
    is_anonymous: user.is_anonymous,
  })
    .setIssuer(settings.issuer())
    .setSubject(user.id)
    .setAudience(user.aud ?? 'authenticated')
    .setIssuedAt(now)
    .setExpirationTime(expiresAt));
  return { accessToken, expiresAt };
}

export async function toSessionJson(settings: TokenSettings, user: UserRow, sessionId: string, refreshToken: string, method?: string) {
  const { accessToken, expiresAt } = await signAccessToken(settings, user, sessionId, method);
  return {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: settings.jwtExpirySeconds,
    expires_at: expiresAt,
    refresh_token: refreshToken,
    user: toUserJson(user),
  };
}
