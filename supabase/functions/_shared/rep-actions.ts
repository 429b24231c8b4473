// outbound_messages rows that act on an earlier message instead of being one (content_type; the schema's
// outbound_messages_content_type_check in migration 20261207004400 lists them): connector, function and web
// import them from here. Listings of messages leave them out; their effect shows on the target.
export const REP_ACTION_TYPES = ['reaction', 'edit', 'revoke', 'read'] as const;
export type RepActionType = (typeof REP_ACTION_TYPES)[number];

export const isRepActionType = (contentType: string): contentType is RepActionType =>
  (REP_ACTION_TYPES as readonly string[]).includes(contentType);

/** A PostgREST `not.in` list of them: `.not('content_type', 'in', REP_ACTION_LIST)`. */
export const REP_ACTION_LIST = `(${REP_ACTION_TYPES.join(',')})`;
