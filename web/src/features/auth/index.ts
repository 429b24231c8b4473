export { AuthPage } from './auth-page.tsx';
export { useAuthSession } from './use-auth-session.ts';
