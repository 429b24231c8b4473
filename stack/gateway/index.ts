export { startGateway, type GatewayOptions, type RunningGateway, type UpgradeHandler } from './server.ts';
export type { ApiKeys } from './api-key.ts';
export {
  bearerToken,
  headerValue,
  PayloadTooLargeError,
  sendEmpty,
  sendJson,
  sendText,
  type ServiceHandler,
  type ServiceRequest,
} from './http.ts';
export { corsHeaders } from './cors.ts';
