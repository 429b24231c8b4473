// libsignal prints whole SessionEntry objects (private keys included) through console.info / console.warn
// ("Closing session: …", "Closing open session in favor of incoming prekey bundle"). Import this first.
const quiet = /^(Closing|Opening|Removing|Decrypted message with closed session|Session already|Migrating|V1 session storage|Failed to decrypt)/
for (const level of ['info', 'warn', 'log'] as const) {
  const original = console[level].bind(console)
  console[level] = (...args: unknown[]) => {
    const first = args[0]
    if (typeof first === 'string' && quiet.test(first)) return
    original(...args)
  }
}
export {}
