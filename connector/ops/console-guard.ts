// libsignal (used by Baileys) prints whole SessionEntry objects, private keys included, through
// console.info / console.warn ("Closing session: SessionEntry {...}"). Install this before Baileys loads:
// only the leading string of such calls survives, forwarded to `sink` (the pino logger at debug level).
type Sink = (level: 'debug' | 'warn', message: string) => void;

let sink: Sink = () => {};
let installed = false;

const firstString = (args: unknown[]) => (typeof args[0] === 'string' ? args[0].slice(0, 200) : '(non-text console output dropped)');

export function installConsoleGuard(target?: Sink): void {
  if (target) sink = target;
  if (installed) return;
  installed = true;
  console.info = (...args: unknown[]) => sink('debug', firstString(args));
  console.warn = (...args: unknown[]) => sink('debug', firstString(args));
  console.debug = (...args: unknown[]) => sink('debug', firstString(args));
  console.error = (...args: unknown[]) => sink('warn', firstString(args));
}
