export { ConnectPanel } from './connect-panel.tsx';
export { useWhatsappSession, type SessionState } from './use-whatsapp-session.ts';
