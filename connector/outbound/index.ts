export { OutboundDispatcher } from './dispatcher.ts';
export { normalizeRecipient, type RecipientResult } from './recipient.ts';
