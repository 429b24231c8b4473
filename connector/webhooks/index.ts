export { retryDelay, type Backoff } from './backoff.ts';
export { WebhookDelivery } from './delivery.ts';
export { sendWebhook, webhookBody, type SendResult, type SignedEvent } from './sender.ts';
export { makeWebhookStore, WEBHOOK_CHANNEL, type Attempt, type ClaimedEvent, type WebhookStore } from './store.ts';
