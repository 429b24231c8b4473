// Whether a recipient is on WhatsApp, asked once per session and JID and kept for a while (a USync
// query per message would cost a round trip on every send).
import type { SessionConnection } from '../whatsapp/index.ts';

export class OnWhatsAppCache {
  private readonly answers = new Map<string, { exists: boolean; at: number }>();

  constructor(private readonly ttlMs: number, private readonly maxEntries = 50_000) {}

  async exists(conn: SessionConnection, jid: string): Promise<boolean> {
    const key = `${conn.sessionId}/${jid}`;
    const cached = this.answers.get(key);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.exists;
    const result = await conn.sock!.onWhatsApp(jid);
    const exists = Boolean(result?.some((r) => r.exists));
    if (this.answers.size > this.maxEntries) this.answers.clear();
    this.answers.set(key, { exists, at: Date.now() });
    return exists;
  }
}
