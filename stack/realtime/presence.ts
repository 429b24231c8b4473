// Presence as Realtime serves it through Phoenix.Presence (RealtimeWeb.RealtimeChannel.PresenceHandler): a
// channel with presence enabled gets `presence_state` after its join; `track` adds (or, tracked again with
// another payload, replaces) the channel's meta under its presence key, `untrack` and leaving remove it, and
// every change goes to the topic's channels as a `presence_diff` {joins, leaves} (the tracking channel too).
// State and diffs group metas by key: `{ [key]: { metas: [{ phx_ref, ...payload }] } }`. Public and private
// channels of one topic are apart; on a private one only channels whose claims may read presence get them.
import { randomBytes } from 'node:crypto';
import type { Channel } from './channel.ts';
import type { TopicHub } from './server-context.ts';

type Meta = Record<string, unknown> & { phx_ref: string };
type Grouped = Record<string, { metas: Meta[] }>;

interface Tracked {
  key: string;
  meta: Meta;
  payloadJson: string;
}

export class PresenceHub {
  /** Tracked channels by presence topic (`<public|private>:<topic>`). */
  private readonly byTopic = new Map<string, Map<Channel, Tracked>>();

  /** `delivered(n)`: n presence_diff pushes made (Realtime counts them against the project's presence rate). */
  constructor(private readonly topics: TopicHub, private readonly delivered: (n: number) => void = () => {}) {}

  /** Tracking this payload again under this key changes nothing (Realtime's :no_payload_change). */
  isUnchanged(channel: Channel, key: string, payload: Record<string, unknown>): boolean {
    const previous = this.byTopic.get(presenceTopic(channel))?.get(channel);
    return previous !== undefined && previous.key === key && previous.payloadJson === JSON.stringify(payload);
  }

  /** What a channel sees after its join (`presence_state`). */
  state(channel: Channel): Grouped {
    return group([...(this.byTopic.get(presenceTopic(channel))?.values() ?? [])].map((t) => [t.key, t.meta]));
  }

  track(channel: Channel, key: string, payload: Record<string, unknown>): void {
    const name = presenceTopic(channel);
    let tracked = this.byTopic.get(name);
    if (!tracked) this.byTopic.set(name, (tracked = new Map()));
    const previous = tracked.get(channel);
    const payloadJson = JSON.stringify(payload);
    if (previous && previous.key === key && previous.payloadJson === payloadJson) return; // no_payload_change
    const meta: Meta = { ...payload, phx_ref: newRef(), ...(previous ? { phx_ref_prev: previous.meta.phx_ref } : {}) };
    tracked.set(channel, { key, meta, payloadJson });
    this.diff(channel, { joins: group([[key, meta]]), leaves: previous ? group([[previous.key, previous.meta]]) : {} });
  }

  untrack(channel: Channel): void {
    const name = presenceTopic(channel);
    const tracked = this.byTopic.get(name);
    const previous = tracked?.get(channel);
    if (!tracked || !previous) return;
    tracked.delete(channel);
    if (tracked.size === 0) this.byTopic.delete(name);
    this.diff(channel, { joins: {}, leaves: group([[previous.key, previous.meta]]) });
  }

  private diff(source: Channel, diff: { joins: Grouped; leaves: Grouped }): void {
    let pushed = 0;
    for (const peer of this.topics.peers(source.topic)) {
      if (peer.isPrivate !== source.isPrivate) continue;
      if (peer.isPrivate && peer.presenceRead !== true) continue;
      peer.push('presence_diff', diff);
      pushed++;
    }
    this.delivered(pushed);
  }
}

function presenceTopic(channel: Channel): string {
  return `${channel.isPrivate ? 'private' : 'public'}:${channel.topic}`;
}

function group(entries: [string, Meta][]): Grouped {
  const grouped: Grouped = {};
  for (const [key, meta] of entries) (grouped[key] ??= { metas: [] }).metas.push(meta);
  return grouped;
}

/** Phoenix.Tracker's refs are short random strings; realtime-js only compares them. */
function newRef(): string {
  return randomBytes(9).toString('base64url');
}
