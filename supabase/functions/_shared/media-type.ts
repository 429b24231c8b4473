// Whether a file's bytes are what its declared MIME type says: the one rule the Edge Function (POST /messages,
// before anything is queued) and the connector (when it sends a row a CRM inserted through the Data API) apply.
// `sniffed` is what file-type found in the first bytes (undefined: no binary signature, i.e. text or unknown).

/** Bytes file-type reads to decide (its default sample size). */
export const SNIFF_BYTES = 4100;

/**
 * Sniffed types that stand for a declared one: old Office files are all CFB containers; M4A is sniffed under
 * its legacy name; Ogg-Opus carries a codecs parameter; OOXML documents are ZIP files.
 */
const SNIFFED_ALIASES: Record<string, string[]> = {
  'application/x-cfb': ['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint'],
  'audio/x-m4a': ['audio/mp4'],
  'audio/ogg; codecs=opus': ['audio/ogg'],
  'audio/opus': ['audio/ogg'],
  'application/zip': [
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  ],
};

/** MIME type without parameters, lower case. */
export const baseMimeType = (mime: string) => mime.split(';')[0]!.trim().toLowerCase();

/** Whether what the bytes are (sniffed; undefined = plain text or unknown) agrees with the declared type. */
export function bytesMatchType(sniffed: string | undefined, declared: string): boolean {
  const want = baseMimeType(declared);
  if (!sniffed) return want.startsWith('text/'); // every binary type WhatsApp takes has a signature file-type knows
  return baseMimeType(sniffed) === want || (SNIFFED_ALIASES[sniffed] ?? SNIFFED_ALIASES[baseMimeType(sniffed)] ?? []).includes(want);
}
