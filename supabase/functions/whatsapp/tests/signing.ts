// ES256 signing keys for in-process tests: a P-256 pair, its public JWK (as a project's JWKS lists it) and a
// signer producing compact JWTs with that kid, so a loopback server can play Supabase's JWKS endpoint.
const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
export const encode = (value: unknown) => b64url(new TextEncoder().encode(JSON.stringify(value)));

export async function signingKey(kid = 'test-key') {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as CryptoKeyPair;
  const jwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
  const sign = async (claims: Record<string, unknown>) => {
    const input = `${encode({ alg: 'ES256', kid, typ: 'JWT' })}.${encode(claims)}`;
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new TextEncoder().encode(input));
    return `${input}.${b64url(new Uint8Array(signature))}`;
  };
  return { jwk, sign };
}
