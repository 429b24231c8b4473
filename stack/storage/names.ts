// Storage's rules for object keys and bucket names (src/storage/limits.ts): S3-safe characters only.
import { storageErrors } from './errors.ts';

// Hyphen last so it stays a literal.
const VALID_OBJECT_KEY = /^[A-Za-z0-9_/!.*'() &$=@;:+,?-]*$/;
const VALID_BUCKET_NAME = /^[A-Za-z0-9_!.*'() &$=@;:+,?-]*$/;

export function mustBeValidKey(key: string | undefined): asserts key is string {
  if (!key || !VALID_OBJECT_KEY.test(key)) throw storageErrors.invalidKey(key ?? '');
}

export function mustBeValidBucketName(name: string | undefined): asserts name is string {
  if (!name || name.length > 100 || !VALID_BUCKET_NAME.test(name) || name.trim() !== name) {
    throw storageErrors.invalidBucketName();
  }
}

/** The placeholder the dashboard writes to keep an empty folder: always zero bytes, any type. */
export function isEmptyFolder(key: string): boolean {
  return key.endsWith('.emptyFolderPlaceholder');
}

/**
 * Bucket-level file size limits as Storage's API takes them: bytes, or a string such as "20MB"
 * (decimal units, as Storage parses them).
 */
export function parseFileSizeLimit(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw storageErrors.invalidFileSizeLimit();
    return value;
  }
  if (typeof value !== 'string') throw storageErrors.invalidFileSizeLimit();
  const match = /^([0-9]+(?:\.[0-9]+)?)(gb|mb|kb|b)$/i.exec(value);
  if (!match) throw storageErrors.invalidFileSizeLimit();
  const amount = Number(Number.parseFloat(match[1]!).toPrecision(3));
  const unit = { gb: 1e9, mb: 1e6, kb: 1e3, b: 1 }[match[2]!.toLowerCase() as 'gb' | 'mb' | 'kb' | 'b'];
  return Math.round(amount * unit);
}

/** Allowed MIME type entries for a bucket (Storage's validateMimeType on bucket create/update). */
export function mustBeValidMimeTypes(types: unknown): asserts types is string[] {
  if (!Array.isArray(types)) throw storageErrors.invalidRequest('allowed_mime_types must be an array of strings');
  for (const type of types) {
    if (typeof type !== 'string' || type.length > 1000 ||
      !/^([a-zA-Z0-9\-+.]+)\/([a-zA-Z0-9\-+.]+)(;\s*charset=[a-zA-Z0-9-]+)?$|\*$/.test(type)) {
      throw storageErrors.invalidMimeType(String(type));
    }
  }
}
