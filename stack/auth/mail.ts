// The e-mails GoTrue would send. This stack has no SMTP server (nor the Mailpit `supabase start` runs),
// so each one goes to the stack's log with what its template carries: the OTP and the token hash
// (`verifyOtp({ token, email, type })` or `verifyOtp({ token_hash, type })` completes the action).
import { createHash, randomInt } from 'node:crypto';
import type { Logger } from 'pino';

export interface EmailToken {
  otp: string;
  /** What GoTrue stores and the mail's link carries: hex SHA-224 of e-mail + OTP. */
  hash: string;
}

const OTP_LENGTH = 6;

export function newEmailToken(email: string): EmailToken {
  const otp = Array.from({ length: OTP_LENGTH }, () => String(randomInt(10))).join('');
  return { otp, hash: emailTokenHash(email, otp) };
}

export function emailTokenHash(email: string, otp: string): string {
  return createHash('sha224').update(email.toLowerCase() + otp).digest('hex');
}

export function sendMail(logger: Logger, mail: { to: string; subject: string; type: string; token: EmailToken }): void {
  logger.info(
    { mail: { to: mail.to, subject: mail.subject, type: mail.type, otp: mail.token.otp, token_hash: mail.token.hash } },
    `auth: e-mail to ${mail.to} (logged, no SMTP here): ${mail.subject}; verifyOtp({ token_hash: '${mail.token.hash}', type: '${mail.type}' })`,
  );
}
