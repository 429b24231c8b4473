// Signed URLs as Storage issues them (src/storage/object.ts): an HS256 JWT signed with the project's
// JWT secret whose `url` claim is `bucket/key`, with `scope` (download | upload) and `exp`. Signing
// needs RLS to let the caller read the object (download) or insert it (upload); using the URL needs
// no API key and no session: the token is the permission.
import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { sendJson } from '../gateway/index.ts';
import type { Tx } from './caller.ts';
import { objectParams, type StorageCall, type StorageContext } from './context.ts';
import { storageErrors } from './errors.ts';
import { mustBeValidKey } from './names.ts';
import { sendAsset } from './respond.ts';
import { parseUserMetadata, receiveUpload, testUpload } from './upload.ts';

interface SignedToken {
  url: string;
  scope?: 'download' | 'upload';
  exp: number;
  upsert?: boolean;
  owner?: string;
}

const secretKey = (secret: string) => new TextEncoder().encode(secret);

async function signToken(secret: string, claims: Record<string, unknown>, expiresIn: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now).setExpirationTime(now + expiresIn).sign(secretKey(secret));
}

/** Storage's verifyObjectSignature: signature, expiry, scope, and the key it was issued for. */
async function verifyToken(secret: string, token: string | null, url: string, scope: 'download' | 'upload'): Promise<SignedToken> {
  if (!token) throw storageErrors.invalidRequest("querystring must have required property 'token'");
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secretKey(secret), { algorithms: ['HS256'] }));
  } catch (error) {
    throw storageErrors.invalidJwt((error as Error).message);
  }
  // Tokens from before `scope` existed: upload tokens carry `upsert`, download tokens do not.
  const tokenScope = payload.scope ?? ('upsert' in payload ? 'upload' : 'download');
  if (tokenScope !== scope) throw storageErrors.invalidSignature(`Token is not scoped for ${scope}`);
  if (payload.url !== url) throw storageErrors.invalidSignature();
  return payload as unknown as SignedToken;
}

const expiresIn = z.number({ message: "must have required property 'expiresIn'" }).int().min(1);
const signBody = z.object({ expiresIn, transform: z.record(z.string(), z.unknown()).optional() });
const signManyBody = z.object({ expiresIn, paths: z.array(z.string()).min(1).max(1000) });

/** POST /object/sign/:bucket/*: a signed download URL for an object the caller can read. */
export async function signUrl(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const { bucketId, objectName } = objectParams(call);
  const body = await call.json(signBody);
  if (body.transform && Object.keys(body.transform).length > 0) throw storageErrors.notSupported('Image transformation (transform)');
  mustBeValidKey(objectName);
  const [row] = await ctx.db.asCaller(caller, call.scope, (tx) => tx`
    select 1 from storage.objects where bucket_id = ${bucketId} and name = ${objectName}`);
  if (!row) throw storageErrors.noSuchKey();
  const url = `${bucketId}/${objectName}`;
  const token = await signToken(ctx.jwtSecret, { url, scope: 'download' }, body.expiresIn);
  sendJson(call.res, 200, { signedURL: `/object/sign/${url}?token=${token}` });
}

/** POST /object/sign/:bucket {paths}: one entry per path, an error for those the caller cannot read. */
export async function signUrls(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const bucketId = call.params[0]!;
  const body = await call.json(signManyBody);
  const found = await ctx.db.asCaller(caller, call.scope, (tx: Tx) => tx<{ name: string }[]>`
    select name from storage.objects where bucket_id = ${bucketId} and name = any(${body.paths})`);
  const visible = new Set(found.map((row) => row.name));
  const results = await Promise.all(body.paths.map(async (path) => {
    if (!visible.has(path)) return { error: 'Either the object does not exist or you do not have access to it', path, signedURL: null };
    const url = `${bucketId}/${path}`;
    const token = await signToken(ctx.jwtSecret, { url, scope: 'download' }, body.expiresIn);
    return { error: null, path, signedURL: `/object/sign/${url}?token=${token}` };
  }));
  sendJson(call.res, 200, results);
}

/** GET /object/sign/:bucket/*?token=…: the object's bytes for a valid, unexpired download token. */
export async function signedDownload(ctx: StorageContext, call: StorageCall): Promise<void> {
  const { bucketId, objectName } = objectParams(call);
  const payload = await verifyToken(ctx.jwtSecret, call.query.get('token'), `${bucketId}/${objectName}`, 'download');
  const [row] = await ctx.db.asSuperUser(call.scope, (tx) => tx<{ version: string | null; metadata: Record<string, unknown> | null }[]>`
    select version, metadata from storage.objects where bucket_id = ${bucketId} and name = ${objectName}`);
  if (!row) throw storageErrors.noSuchKey();
  await sendAsset(call.req, call.res, ctx.files, row, { download: call.query.get('download'), expires: new Date(payload.exp * 1000) });
}

/** POST /object/upload/sign/:bucket/*: a token to upload one key later, if RLS lets the caller insert it now. */
export async function signUploadUrl(ctx: StorageContext, call: StorageCall): Promise<void> {
  const caller = await call.caller();
  const { bucketId, objectName } = objectParams(call);
  mustBeValidKey(objectName);
  const upsert = call.req.headers['x-upsert'] === 'true';
  const header = call.req.headers['x-metadata'];
  const length = Number(call.req.headers['content-length']);
  await testUpload(ctx.db, caller, call.scope, {
    bucketId, objectName, owner: caller.owner, upsert,
    metadata: { mimetype: call.req.headers['content-type'], contentLength: Number.isFinite(length) ? length : undefined },
    userMetadata: parseUserMetadata(typeof header === 'string' ? header : undefined),
  });
  const url = `${bucketId}/${objectName}`;
  const token = await signToken(ctx.jwtSecret, { owner: caller.owner, url, upsert, scope: 'upload' }, ctx.signedUploadExpirySeconds);
  sendJson(call.res, 200, { url: `/object/upload/sign/${url}?token=${token}`, token });
}

/** PUT /object/upload/sign/:bucket/*?token=…: the upload, owned by whoever asked for the token. */
export async function uploadToSignedUrl(ctx: StorageContext, call: StorageCall): Promise<void> {
  const { bucketId, objectName } = objectParams(call);
  const payload = await verifyToken(ctx.jwtSecret, call.query.get('token'), `${bucketId}/${objectName}`, 'upload');
  const { key } = await receiveUpload(ctx, call.req, {
    bucketId, objectName, owner: payload.owner, upsert: payload.upsert === true, as: 'superuser', scope: call.scope,
  });
  sendJson(call.res, 200, { Key: key });
}
