// Media in the inbox: inbound and outbound files shown through signed URLs, files attached and sent.
import './media.css';

export { AttachField, type Attached } from './attach-field.tsx';
export { AttachmentError, canHaveCaption, sendAttachment } from './attachment.ts';
export { MediaView } from './media-view.tsx';
export { inboundMedia, outboundMedia } from './message-media.ts';
export type { MessageMedia } from './media-types.ts';
