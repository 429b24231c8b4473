// What every connection of one realtime server shares.
import type { Pool } from 'pg';
import type { ReadPolicies } from './authorize.ts';
import type { AccessClaims, JwtKeys } from '../keys.ts';
import type { Channel } from './channel.ts';
import type { Connection } from './connection.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { TenantLimits } from './limits.ts';
import type { Logger } from './logger.ts';
import type { PresenceHub } from './presence.ts';
import type { ReplicationStream } from './replication.ts';

export interface ServerContext {
  jwtKeys: JwtKeys;
  pool: Pool;
  dispatcher: Dispatcher;
  stream: ReplicationStream;
  logger: Logger;
  heartbeatTimeoutMs: number;
  topics: TopicHub;
  connections: Set<Connection>;
  authorizePrivate(topic: string, claims: AccessClaims, extension?: 'broadcast' | 'presence'): Promise<boolean>;
  /** The read policies of a private topic as a join (or a token refresh) evaluates them. */
  readPolicies(topic: string, claims: AccessClaims, presenceEnabled: boolean): Promise<ReadPolicies>;
  /** Realtime's write check on a private topic (`realtime.messages` insert policies), for broadcast or presence. */
  authorizeBroadcastWrite(subTopic: string, claims: AccessClaims, extension?: 'broadcast' | 'presence'): Promise<boolean>;
  presence: PresenceHub;
  limits: TenantLimits;
}

/** Joined channels by topic, for broadcast between clients. */
export class TopicHub {
  private readonly byTopic = new Map<string, Set<Channel>>();

  /** Called after each broadcast delivered to a channel (Realtime counts it and checks the project's rate). */
  constructor(private readonly delivered: (channel: Channel) => void = () => {}) {}

  join(channel: Channel): void {
    let set = this.byTopic.get(channel.topic);
    if (!set) this.byTopic.set(channel.topic, (set = new Set()));
    set.add(channel);
  }

  leave(channel: Channel): void {
    const set = this.byTopic.get(channel.topic);
    set?.delete(channel);
    if (set?.size === 0) this.byTopic.delete(channel.topic);
  }

  peers(topic: string): Channel[] {
    return [...(this.byTopic.get(topic) ?? [])];
  }

  /**
   * A row of realtime.messages (realtime.send, realtime.broadcast_changes) goes to the channels of its topic,
   * private messages to private channels only (their join was authorised against realtime.messages policies).
   */
  deliverMessage(record: Record<string, unknown>): void {
    if (record.extension !== 'broadcast' || typeof record.topic !== 'string' || typeof record.event !== 'string') return;
    const isPrivate = record.private !== false;
    // ReplicationConnection: the stored payload as it is (pick_payload: binary_payload, from realtime.send_binary,
    // before payload), the row's id in `meta` (a UserBroadcast's metadata). pgoutput's text form of bytea is hex.
    const binary = typeof record.binary_payload === 'string' ? Buffer.from(record.binary_payload.replace(/^\\x/, ''), 'hex') : null;
    const payload = binary ?? record.payload;
    this.broadcast(`realtime:${record.topic}`, isPrivate, { type: 'broadcast', event: record.event, payload, meta: { id: record.id } });
  }

  /**
   * One broadcast to the channels of `topic` (`realtime:<sub-topic>`): Realtime keeps public and private channels of one topic on
   * different PubSub topics, so a private message reaches private channels only and a public one public ones.
   */
  broadcast(topic: string, isPrivate: boolean, message: Record<string, unknown>, except?: Channel): void {
    for (const channel of this.peers(topic)) {
      if (channel.isPrivate !== isPrivate || channel === except || !channel.broadcastRead) continue; // MessageDispatcher: broadcast_read?
      const id = (message.meta as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string' && channel.replayedIds.has(id)) continue; // MessageDispatcher.already_replayed?
      channel.transport.sendBroadcast(channel, message);
      this.delivered(channel);
    }
  }
}
