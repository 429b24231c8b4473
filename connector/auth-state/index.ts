export { AuthStateDecryptError, authStateAad, makeEnvelope, PLAINTEXT_REFUSED, type Envelope, type EnvelopeKeys } from './envelope.ts';
export { ensureLocalEncryptionKey } from './local-key.ts';
export { Lru } from './lru.ts';
export { CREDS_KIND, decodeValue, encodeValue, usePostgresAuthState, type PostgresAuthState } from './postgres-auth-state.ts';
