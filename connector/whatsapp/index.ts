export { SessionConnection, type ConnectionDeps, type ConnectionHooks, type ContactEvent, type LinkRequest } from './session-connection.ts';
export { applySimulatorCertificate } from './socket-options.ts';
export { ConfirmedIds } from './confirmations.ts';
export { messageFromSentContent, sentContentJson } from './sent-content.ts';
