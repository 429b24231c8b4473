// The user object GoTrue sends (signup, token, /user, /admin/users, /verify): encoding/json of its
// models.User (supabase/auth internal/models/user.go), keys in the struct's order. What follows from
// the struct tags:
// - `email` and `phone` are storage.NullString (internal/storage/helper.go): '' when the column is null;
// - every *time.Time field is `omitempty`: absent, never null, while it is unset (email_confirmed_at,
//   invited_at, phone_confirmed_at, confirmed_at, email_change_sent_at, last_sign_in_at, banned_until,
//   deleted_at), and `new_email` (a string, omitempty) is absent while no change is pending;
// - created_at and updated_at (time.Time) are always there;
// - times are Go's time.Time MarshalJSON, RFC 3339 with the fraction's trailing zeros cut
//   (time.RFC3339Nano), from Postgres' microseconds, in UTC ("2025-03-06T02:09:14.58066Z"): the store
//   reads them already in that form (store.ts rfc3339).
// The one identity is the email identity GoTrue makes on sign-up and admin create (models/identity.go:
// identity_data omitempty, last_sign_in_at set when it is created, email omitempty); this stack has no
// auth.identities table, so its times are the user's creation and update.
import type { UserRow } from './store.ts';

export function toUserJson(user: UserRow) {
  const email = user.email ?? '';
  return {
    id: user.id,
    aud: user.aud ?? 'authenticated',
    role: user.role ?? 'authenticated',
    email,
    ...present('email_confirmed_at', user.email_confirmed_at),
    ...present('invited_at', user.invited_at),
    phone: user.phone ?? '',
    ...present('phone_confirmed_at', user.phone_confirmed_at),
    ...present('confirmed_at', user.confirmed_at),
    ...present('new_email', user.email_change || null),
    ...present('email_change_sent_at', user.email_change_sent_at),
    ...present('last_sign_in_at', user.last_sign_in_at),
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    identities: [
      {
        identity_id: user.id,
        id: user.id,
        user_id: user.id,
        identity_data: { email, email_verified: Boolean(user.email_confirmed_at), phone_verified: false, sub: user.id },
        provider: 'email',
        last_sign_in_at: user.created_at,
        created_at: user.created_at,
        updated_at: user.updated_at,
        ...present('email', email || null),
      },
    ],
    created_at: user.created_at,
    updated_at: user.updated_at,
    ...present('banned_until', user.banned_until),
    ...present('deleted_at', user.deleted_at),
    is_anonymous: user.is_anonymous,
  };
}

/** `{ [key]: value }`, or nothing when the value is null: Go's omitempty on a nil pointer or an empty string. */
function present<K extends string>(key: K, value: string | null): { [P in K]?: string } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: string };
}
