// Phoenix channel frames as realtime-js speaks them.
// vsn 2.0.0: JSON arrays [join_ref, ref, topic, event, payload], plus binary user broadcasts
// (kind 3 client -> server, kind 4 server -> client). vsn 1.0.0: JSON objects.

export type Vsn = '1.0.0' | '2.0.0';

export interface PhoenixMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const KIND_USER_BROADCAST_PUSH = 3;
const KIND_USER_BROADCAST = 4;
const ENCODING_BINARY = 0;
const ENCODING_JSON = 1;

export function parseVsn(value: string | null): Vsn {
  if (value === null || value === '2.0.0') return '2.0.0';
  if (value === '1.0.0') return '1.0.0';
  throw new ProtocolError(`Unsupported serializer version: ${value}`);
}

export function decodeFrame(data: Buffer, isBinary: boolean, vsn: Vsn): PhoenixMessage {
  if (isBinary) return decodeBinaryBroadcastPush(data);
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new ProtocolError('frame is not valid JSON');
  }
  let joinRef: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown;
  if (vsn === '2.0.0') {
    if (!Array.isArray(parsed) || parsed.length !== 5) throw new ProtocolError('frame must be [join_ref, ref, topic, event, payload]');
    [joinRef, ref, topic, event, payload] = parsed;
  } else {
    if (!isObject(parsed)) throw new ProtocolError('frame must be an object');
    ({ join_ref: joinRef, ref, topic, event, payload } = parsed);
  }
  if (typeof topic !== 'string' || typeof event !== 'string') throw new ProtocolError('topic and event must be strings');
  if (!isObject(payload)) throw new ProtocolError('payload must be an object');
  return { joinRef: asRef(joinRef), ref: asRef(ref), topic, event, payload };
}

export function encodeFrame(message: PhoenixMessage, vsn: Vsn): string {
  if (vsn === '2.0.0') {
    return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload]);
  }
  return JSON.stringify({
    join_ref: message.joinRef, ref: message.ref, topic: message.topic, event: message.event, payload: message.payload,
  });
}

/** Builds a frame around an already serialised payload (postgres_changes fan-out serialises the change once). */
export function encodeFrameWithRawPayload(
  joinRef: string | null, topic: string, event: string, payloadJson: string, vsn: Vsn,
): string {
  if (vsn === '2.0.0') return `[${JSON.stringify(joinRef)},null,${JSON.stringify(topic)},${JSON.stringify(event)},${payloadJson}]`;
  return `{"join_ref":${JSON.stringify(joinRef)},"ref":null,"topic":${JSON.stringify(topic)},"event":${JSON.stringify(event)},"payload":${payloadJson}}`;
}

/**
 * A user broadcast with a binary payload goes out as a kind 4 frame (realtime-js decodes it), with its metadata
 * (`meta` on the client: a database message's `{id}`) as JSON, as Realtime's V2Serializer.fastlane! writes it.
 */
export function encodeBinaryBroadcast(topic: string, userEvent: string, payload: Uint8Array, metadata?: Record<string, unknown>): Buffer {
  const topicBytes = Buffer.from(topic, 'utf8');
  const eventBytes = Buffer.from(userEvent, 'utf8');
  const metaBytes = Buffer.from(metadata ? JSON.stringify(metadata) : '', 'utf8');
  if (topicBytes.length > 255 || eventBytes.length > 255 || metaBytes.length > 255) throw new ProtocolError('topic, event or metadata too long');
  const header = Buffer.from([KIND_USER_BROADCAST, topicBytes.length, eventBytes.length, metaBytes.length, ENCODING_BINARY]);
  return Buffer.concat([header, topicBytes, eventBytes, metaBytes, payload]);
}

function decodeBinaryBroadcastPush(data: Buffer): PhoenixMessage {
  if (data.length < 7 || data[0] !== KIND_USER_BROADCAST_PUSH) throw new ProtocolError('unsupported binary frame');
  const lengths = [data[1]!, data[2]!, data[3]!, data[4]!, data[5]!];
  const encoding = data[6]!;
  let offset = 7;
  const parts = lengths.map((length) => {
    if (offset + length > data.length) throw new ProtocolError('truncated binary frame');
    const part = data.subarray(offset, offset + length).toString('utf8');
    offset += length;
    return part;
  });
  const [joinRef, ref, topic, userEvent, metadata] = parts as [string, string, string, string, string];
  const rawPayload = data.subarray(offset);
  let payload: unknown;
  if (encoding === ENCODING_JSON) {
    try {
      payload = JSON.parse(rawPayload.toString('utf8'));
    } catch {
      throw new ProtocolError('binary broadcast payload is not valid JSON');
    }
  } else if (encoding === ENCODING_BINARY) {
    payload = Buffer.from(rawPayload);
  } else {
    throw new ProtocolError('unknown binary payload encoding');
  }
  let meta: Record<string, unknown> = {};
  if (metadata) {
    try {
      const parsed: unknown = JSON.parse(metadata);
      if (isObject(parsed)) meta = parsed;
    } catch {
      throw new ProtocolError('binary broadcast metadata is not valid JSON');
    }
  }
  return {
    joinRef: joinRef || null,
    ref: ref || null,
    topic,
    event: 'broadcast',
    payload: { ...meta, type: 'broadcast', event: userEvent, payload },
  };
}

function asRef(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new ProtocolError('refs must be strings');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
