// GoTrue's tables (auth.users, auth.sessions, auth.refresh_tokens): the SQL the auth service needs.
import { randomBytes, randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { authErrors } from './errors.ts';

/** Times are RFC 3339 text as GoTrue's JSON carries them (see rfc3339), null when unset. */
export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  encrypted_password: string | null;
  email_confirmed_at: string | null;
  invited_at: string | null;
  phone: string | null;
  phone_confirmed_at: string | null;
  /** GoTrue's generated column: least(email_confirmed_at, phone_confirmed_at). */
  confirmed_at: string | null;
  last_sign_in_at: string | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: string | null;
  updated_at: string | null;
  banned_until: string | null;
  /** Whether banned_until is still ahead. */
  banned: boolean;
  deleted_at: string | null;
  is_anonymous: boolean;
  /** The pending new address ('' when none). */
  email_change: string | null;
  email_change_sent_at: string | null;
}

/**
 * A timestamptz as Go's time.Time MarshalJSON writes it (time.RFC3339Nano) from what Postgres holds: UTC,
 * microseconds with the trailing zeros cut, no fraction when it is zero ("2025-03-06T02:09:14.58066Z").
 */
function rfc3339(expression: string, name = expression): string {
  return `rtrim(rtrim(to_char((${expression}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z' as ${name}`;
}

const USER_COLUMNS = [
  'id, aud, role, email, encrypted_password',
  rfc3339('email_confirmed_at'), rfc3339('invited_at'), 'phone', rfc3339('phone_confirmed_at'),
  rfc3339('least(email_confirmed_at, phone_confirmed_at)', 'confirmed_at'), rfc3339('last_sign_in_at'),
  'raw_app_meta_data, raw_user_meta_data', rfc3339('created_at'), rfc3339('updated_at'), rfc3339('banned_until'),
  'coalesce(banned_until > now(), false) as banned', rfc3339('deleted_at'), 'is_anonymous, email_change',
  rfc3339('email_change_sent_at'),
].join(', ');

/** Refresh tokens revoked this recently may be presented again (concurrent tabs), as GoTrue allows. */
const REFRESH_REUSE_INTERVAL_SECONDS = 10;

export function createAuthStore(sql: postgres.Sql) {
  const userColumns = sql.unsafe(USER_COLUMNS);

  async function findUserByEmail(email: string): Promise<UserRow | undefined> {
    const [row] = await sql<UserRow[]>`select ${userColumns} from auth.users
      where lower(email) = lower(${email}) and deleted_at is null and is_sso_user = false limit 1`;
    return row;
  }

  async function findUserById(id: string): Promise<UserRow | undefined> {
    const [row] = await sql<UserRow[]>`select ${userColumns} from auth.users where id = ${id} and deleted_at is null`;
    return row;
  }

  async function createUser(input: {
    email: string;
    passwordHash: string | null;
    userMetadata: Record<string, unknown>;
    appMetadata?: Record<string, unknown>;
    confirmed: boolean;
  }): Promise<UserRow> {
    const appMetadata = { provider: 'email', providers: ['email'], ...(input.appMetadata ?? {}) };
    try {
      const [row] = await sql<UserRow[]>`
        insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
        values ('00000000-0000-0000-0000-000000000000', ${randomUUID()}, 'authenticated', 'authenticated',
                ${input.email.toLowerCase()}, ${input.passwordHash}, ${input.confirmed ? sql`now()` : null},
                ${sql.json(appMetadata as postgres.JSONValue)}, ${sql.json(input.userMetadata as postgres.JSONValue)}, now(), now())
        returning ${userColumns}`;
      return row!;
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw authErrors.userExists();
      throw error;
    }
  }

  async function updateUser(
    id: string,
    changes: {
      email?: string; passwordHash?: string; userMetadata?: Record<string, unknown>; appMetadata?: Record<string, unknown>;
      /** The admin API's email_confirm: the address counts as confirmed from now (kept if it already was). */
      confirmEmail?: boolean;
    },
  ): Promise<UserRow> {
    const user = metadataUpdate(changes.userMetadata);
    const app = metadataUpdate(changes.appMetadata);
    try {
      const [row] = await sql<UserRow[]>`
        update auth.users set
          email = coalesce(${changes.email?.toLowerCase() ?? null}, email),
          encrypted_password = coalesce(${changes.passwordHash ?? null}, encrypted_password),
          email_confirmed_at = case when ${changes.confirmEmail ?? false} then coalesce(email_confirmed_at, now()) else email_confirmed_at end,
          raw_user_meta_data = case when raw_user_meta_data is null then ${sql.json(user.all)}
            else (raw_user_meta_data - ${user.deleted}::text[]) || ${sql.json(user.kept)} end,
          raw_app_meta_data = case when raw_app_meta_data is null then ${sql.json(app.all)}
            else (raw_app_meta_data - ${app.deleted}::text[]) || ${sql.json(app.kept)} end,
          updated_at = now()
        where id = ${id} and deleted_at is null
        returning ${userColumns}`;
      if (!row) throw authErrors.userNotFound();
      return row;
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw authErrors.emailExists();
      throw error;
    }
  }

  /** Records a pending e-mail change with the hashes of the tokens mailed for it (GoTrue's columns). */
  async function requestEmailChange(id: string, change: { email: string; tokenNew: string; tokenCurrent: string }): Promise<UserRow> {
    const [row] = await sql<UserRow[]>`
      update auth.users set email_change = ${change.email.toLowerCase()}, email_change_token_new = ${change.tokenNew},
             email_change_token_current = ${change.tokenCurrent}, email_change_confirm_status = 0,
             email_change_sent_at = now(), updated_at = now()
       where id = ${id} and deleted_at is null
      returning ${userColumns}`;
    if (!row) throw authErrors.userNotFound();
    return row;
  }

  /**
   * Confirms a pending e-mail change by one of its token hashes (either address's token completes it, as
   * GoTrue does with autoconfirm on); the tokens are cleared, so each works once. Undefined when no
   * unexpired change carries that hash.
   */
  async function confirmEmailChange(tokenHash: string, expirySeconds: number): Promise<UserRow | undefined> {
    try {
      const [row] = await sql<UserRow[]>`
        update auth.users set email = email_change, email_change = '', email_change_token_new = '',
               email_change_token_current = '', email_change_confirm_status = 0, email_change_sent_at = null,
               email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now()
         where ${tokenHash} <> '' and (email_change_token_new = ${tokenHash} or email_change_token_current = ${tokenHash})
           and coalesce(email_change, '') <> '' and deleted_at is null
           and email_change_sent_at > now() - make_interval(secs => ${expirySeconds})
        returning ${userColumns}`;
      return row;
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw authErrors.emailExists();
      throw error;
    }
  }

  async function deleteUser(id: string): Promise<boolean> {
    const rows = await sql`delete from auth.users where id = ${id} returning id`;
    return rows.length > 0;
  }

  /** One page of users and how many there are (GoTrue: `email LIKE %filter% OR full_name ILIKE %filter%`). */
  async function listUsers(options: { page: number; perPage: number; ascending: boolean; filter: string }): Promise<{ users: UserRow[]; total: number }> {
    const like = `%${options.filter}%`;
    const where = options.filter
      ? sql`deleted_at is null and (email like ${like} or raw_user_meta_data->>'full_name' ilike ${like})`
      : sql`deleted_at is null`;
    const order = options.ascending ? sql`created_at asc, id asc` : sql`created_at desc, id desc`;
    const users = await sql<UserRow[]>`select ${userColumns} from auth.users where ${where}
      order by ${order} limit ${options.perPage} offset ${(options.page - 1) * options.perPage}`;
    const [count] = await sql<{ n: number }[]>`select count(*)::int as n from auth.users where ${where}`;
    return { users, total: count?.n ?? 0 };
  }

  /** A new session with its first refresh token; records the sign-in time. */
  async function createSession(userId: string): Promise<{ sessionId: string; refreshToken: string }> {
    const sessionId = randomUUID();
    const refreshToken = newRefreshToken();
    await sql.begin(async (tx) => {
      await tx`insert into auth.sessions (id, user_id, aal, created_at, updated_at) values (${sessionId}, ${userId}, 'aal1', now(), now())`;
      await tx`insert into auth.refresh_tokens (instance_id, token, user_id, revoked, session_id)
               values ('00000000-0000-0000-0000-000000000000', ${refreshToken}, ${userId}, false, ${sessionId})`;
      await tx`update auth.users set last_sign_in_at = now() where id = ${userId}`;
    });
    return { sessionId, refreshToken };
  }

  /**
   * Rotates a refresh token: the presented one is revoked and a child is issued. A token revoked less
   * than the reuse interval ago returns its newest child instead (GoTrue's concurrent-refresh rule);
   * older reuse is refused.
   */
  async function rotateRefreshToken(token: string): Promise<{ userId: string; sessionId: string; refreshToken: string }> {
    const result = (await sql.begin(async (tx) => {
      const [row] = await tx<{ id: string; user_id: string; session_id: string | null; revoked: boolean; recent: boolean }[]>`
        select rt.id, rt.user_id, rt.session_id, rt.revoked,
               rt.updated_at > now() - make_interval(secs => ${REFRESH_REUSE_INTERVAL_SECONDS}) as recent
          from auth.refresh_tokens rt join auth.sessions s on s.id = rt.session_id
         where rt.token = ${token}
         for update of rt`;
      if (!row || !row.session_id) throw authErrors.refreshNotFound();
      if (row.revoked) {
        const [child] = await tx<{ token: string }[]>`select token from auth.refresh_tokens
          where parent = ${token} and revoked = false order by id desc limit 1`;
        if (row.recent && child) return { userId: row.user_id, sessionId: row.session_id, refreshToken: child.token };
        // Reuse of an old token: someone may have stolen it. End the whole session, as GoTrue does.
        await tx`delete from auth.sessions where id = ${row.session_id}`;
        return 'reused' as const;
      }
      const refreshToken = newRefreshToken();
      await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where id = ${row.id}`;
      await tx`insert into auth.refresh_tokens (instance_id, token, user_id, revoked, parent, session_id)
               values ('00000000-0000-0000-0000-000000000000', ${refreshToken}, ${row.user_id}, false, ${token}, ${row.session_id})`;
      await tx`update auth.sessions set refreshed_at = now(), updated_at = now() where id = ${row.session_id}`;
      return { userId: row.user_id, sessionId: row.session_id, refreshToken };
    })) as { userId: string; sessionId: string; refreshToken: string } | 'reused';
    if (result === 'reused') throw authErrors.refreshUsed();
    return result;
  }

  async function sessionExists(sessionId: string): Promise<boolean> {
    const rows = await sql`select 1 from auth.sessions where id = ${sessionId}`;
    return rows.length > 0;
  }

  /** Sign-out: `global` ends every session of the user, `local` this one, `others` all but this one. */
  async function endSessions(userId: string, sessionId: string | undefined, scope: 'global' | 'local' | 'others'): Promise<void> {
    if (scope === 'global' || !sessionId) await sql`delete from auth.sessions where user_id = ${userId}`;
    else if (scope === 'local') await sql`delete from auth.sessions where id = ${sessionId}`;
    else await sql`delete from auth.sessions where user_id = ${userId} and id <> ${sessionId}`;
  }

  return {
    findUserByEmail, findUserById, createUser, updateUser, requestEmailChange, confirmEmailChange, deleteUser, listUsers,
    createSession, rotateRefreshToken, sessionExists, endSessions,
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;

function newRefreshToken(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * GoTrue's UpdateUserMetaData / UpdateAppMetaData: the given keys replace the stored ones, a key given as null is
 * deleted, the others stay (stored metadata still null: the updates as they are).
 */
function metadataUpdate(updates: Record<string, unknown> | undefined): { all: postgres.JSONValue; kept: postgres.JSONValue; deleted: string[] } {
  const entries = Object.entries(updates ?? {});
  return {
    all: (updates ?? {}) as postgres.JSONValue,
    kept: Object.fromEntries(entries.filter(([, value]) => value !== null)) as postgres.JSONValue,
    deleted: entries.filter(([, value]) => value === null).map(([key]) => key),
  };
}
