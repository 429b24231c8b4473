// What every connection of one realtime server shares.
import type { Pool } from 'pg';
import type { AccessClaims } from '../keys.ts';
import type { Channel } from './channel.ts';
import type { Connection } from './connection.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { Logger } from './logger.ts';
import type { ReplicationStream } from './replication.ts';

export interface ServerContext {
  jwtSecret: string;
  pool: Pool;
  dispatcher: Dispatcher;
  stream: ReplicationStream;
  logger: Logger;
  heartbeatTimeoutMs: number;
  topics: TopicHub;
  connections: Set<Connection>;
  authorizePrivate(topic: string, claims: AccessClaims): Promise<boolean>;
}

/** Joined channels by topic, for broadcast between clients. */
export class TopicHub {
  private readonly byTopic = new Map<string, Set<Channel>>();

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
}
