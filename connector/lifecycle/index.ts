export { backoffDelay, decideOnClose, DisconnectCode, type CloseContext, type CloseDecision, type ReconnectPolicy } from './decide-on-close.ts';
