// Media both ways through Supabase Storage: inbound files kept on arrival (inbound-media.ts), the bucket
// (storage.ts). Outbound rows become Baileys content in outbound/content.ts.
export { describeMedia, extensionFor, jpegThumbnailOf, THUMBNAIL_MAX_BYTES, inboundObjectPath, type MediaFacts, type MediaKind, type MediaSource } from './describe.ts';
export { InboundMediaKeeper, type InboundMediaDeps } from './inbound-media.ts';
export { createMediaStorage, MediaStorageError, type MediaStorage } from './storage.ts';
export { voiceNoteFacts, type VoiceNoteFacts } from './waveform.ts';
