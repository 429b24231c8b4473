-- Local development data only (applied after the migrations by `supabase db reset` and by stack/).
-- A demo user for `npm start`: demo@example.com / demo-password-123.

insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
values ('00000000-0000-0000-0000-000000000000', '00000000-0000-4000-8000-00000000d3e0', 'authenticated',
        'authenticated', 'demo@example.com', extensions.crypt('demo-password-123', extensions.gen_salt('bf', 10)),
        now(), '{"provider": "email", "providers": ["email"]}', '{"name": "Demo user"}', now(), now())
on conflict (id) do nothing;
