// Supabase Storage's errors: body `{statusCode, error, message, code}` where `statusCode` (a string) is
// the meaning (404, 409, 413, …) and the HTTP status is 400 for every refusal and 500 for failures,
// as Storage answers (src/http/error-handler.ts: userStatusCode = httpStatusCode === 500 ? 500 : 400).
// storage-js hands both on: `error.status` is the HTTP status, `error.statusCode` the body's code.
// A few answers keep their own HTTP status there too (403 for a missing role, 416 for a bad range);
// features the local stack does not serve answer 501, a status Storage itself never uses.

export class StorageError extends Error {
  constructor(
    /** The status the error means (`statusCode` in the body). */
    readonly statusCode: number,
    /** Storage's ErrorCode (`code`). */
    readonly code: string,
    message: string,
    /** Storage's backwards-compatible `error` field; the code when absent. */
    readonly error: string = code,
    /** The HTTP status sent; 400 (500 for failures) unless set. */
    readonly httpStatus: number = statusCode >= 500 ? 500 : 400,
  ) {
    super(message);
    this.name = 'StorageError';
  }

  toJSON() {
    return { statusCode: String(this.statusCode), code: this.code, error: this.error, message: this.message };
  }
}

export const storageErrors = {
  noSuchBucket: () => new StorageError(404, 'NoSuchBucket', 'Bucket not found', 'Bucket not found'),
  noSuchKey: () => new StorageError(404, 'NoSuchKey', 'Object not found', 'not_found'),
  bucketAlreadyExists: () => new StorageError(409, 'BucketAlreadyExists', 'The resource already exists', 'Duplicate'),
  keyAlreadyExists: () => new StorageError(409, 'KeyAlreadyExists', 'The resource already exists', 'Duplicate'),
  resourceAlreadyExists: () => new StorageError(409, 'ResourceAlreadyExists', 'The resource already exists', 'Duplicate'),
  bucketNotEmpty: () => new StorageError(409, 'ResourceNotEmpty', 'The bucket you tried to delete is not empty'),
  entityTooLarge: (entity = 'object', limit = 'the maximum allowed size') =>
    new StorageError(413, 'EntityTooLarge', `The ${entity} exceeded ${limit}`, 'Payload too large'),
  invalidMimeType: (mimeType: string) =>
    new StorageError(415, 'InvalidMimeType', `mime type ${mimeType} is not supported`, 'invalid_mime_type'),
  accessDenied: (message = 'Access denied', httpStatus?: number) =>
    new StorageError(403, 'AccessDenied', message, 'Unauthorized', httpStatus),
  rlsViolation: () => storageErrors.accessDenied('new row violates row-level security policy'),
  invalidJwt: (message = 'Invalid JWT') => new StorageError(400, 'InvalidJWT', message),
  invalidSignature: (message = 'Invalid signature') => new StorageError(400, 'InvalidSignature', message),
  invalidKey: (key: string) => new StorageError(400, 'InvalidKey', `Invalid key: ${key}`),
  invalidBucketName: () => new StorageError(400, 'InvalidBucketName', 'Bucket name invalid', 'Invalid Input'),
  invalidFileSizeLimit: () =>
    new StorageError(400, 'InvalidRequest', 'Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B'),
  invalidRange: () => new StorageError(400, 'InvalidRange', 'invalid range provided', 'invalid_range', 416),
  invalidRequest: (message: string) => new StorageError(400, 'InvalidRequest', message),
  noContent: (message = 'No content provided') => new StorageError(400, 'InvalidRequest', message),
  routeNotFound: (method: string, url: string) =>
    new StorageError(404, 'InvalidRequest', `Route ${method}:${url} not found`, 'Not Found', 404),
  notSupported: (feature: string) =>
    new StorageError(501, 'NotSupported', `${feature} is not supported by the local development stack`, 'not_implemented', 501),
  internal: () => new StorageError(500, 'InternalError', 'Internal server error', 'Internal'),
};

interface PostgresLikeError {
  code?: string;
  message?: string;
}

export function isPostgresError(error: unknown): error is PostgresLikeError & Error {
  return error instanceof Error && (error as { name?: string }).name === 'PostgresError';
}

/** Storage's mapping of a database error (src/storage/database/errors.ts, DBError.fromDBError). */
export function fromPostgresError(error: PostgresLikeError): StorageError {
  switch (error.code) {
    case '42501':
      return storageErrors.accessDenied(
        error.message?.includes('row-level security') ? 'new row violates row-level security policy' : (error.message ?? 'Access denied'),
      );
    case '23505':
      return storageErrors.resourceAlreadyExists();
    case '23503':
      return new StorageError(404, 'InvalidRequest', 'The related resource does not exist');
    case '22P02':
      return new StorageError(400, 'InvalidParameter', error.message ?? 'Invalid value format or type conversion failed');
    case '57014':
      return new StorageError(544, 'DatabaseTimeout', 'The connection to the database timed out', 'DatabaseTimeout', 544);
    default:
      // Our own SQLSTATEs (WLnnn, raised by the project's triggers) are refusals, not failures.
      if (error.code && /^WL[0-9]{3}$/.test(error.code)) return new StorageError(400, error.code, error.message ?? 'refused');
      return new StorageError(500, 'DatabaseError', `database error, code: ${error.code ?? 'unknown'}`);
  }
}
