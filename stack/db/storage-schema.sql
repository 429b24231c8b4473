-- Supabase Storage's `storage` schema for a plain Postgres (the local stack's /storage/v1 serves it).
--
-- On Supabase this schema is created and migrated by the Storage server (supabase/storage,
-- migrations/tenant); a Supabase database already has it, so like supabase-compat.sql this is NOT a
-- migration: stack/db/prepare.ts applies it only to a database that is not a Supabase database.
-- It is the end state of Storage's tenant migrations for the parts the local stack serves (standard
-- buckets and objects), written once and idempotently, so that RLS policies written for Supabase
-- (`(storage.foldername(name))[1] = auth.uid()::text`, `bucket_id = '…'`, `owner_id = …`) behave the
-- same here: the same tables, columns, functions, grants and triggers.
-- Left out (the local stack does not serve them): S3 multipart tables, analytics/iceberg and vector
-- buckets, object versioning columns, search_v2 / list_objects_with_delimiter.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'supabase_storage_admin') then
    create role supabase_storage_admin noinherit createrole login noreplication;
  end if;
end
$$;

create schema if not exists storage authorization supabase_admin;
grant all on schema storage to supabase_storage_admin;
grant usage on schema storage to postgres, anon, authenticated, service_role;
alter role supabase_storage_admin set search_path = storage;

do $$
begin
  if not exists (select 1 from pg_type where typname = 'buckettype' and typnamespace = 'storage'::regnamespace) then
    create type storage.buckettype as enum ('STANDARD', 'ANALYTICS', 'VECTOR');
  end if;
end
$$;

create table if not exists storage.buckets (
  id text not null primary key,
  name text not null,
  owner uuid,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  public boolean default false,
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  owner_id text,
  type storage.buckettype not null default 'STANDARD'
);
comment on column storage.buckets.owner is 'Field is deprecated, use owner_id instead';
create unique index if not exists bname on storage.buckets using btree (name);
alter table storage.buckets enable row level security;

create table if not exists storage.objects (
  id uuid not null default gen_random_uuid() primary key,
  bucket_id text constraint "objects_bucketId_fkey" references storage.buckets (id),
  name text,
  owner uuid,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  owner_id text,
  user_metadata jsonb
);
comment on column storage.objects.owner is 'Field is deprecated, use owner_id instead';
create unique index if not exists bucketid_objname on storage.objects using btree (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);
create index if not exists idx_objects_bucket_id_name on storage.objects (bucket_id, name collate "C");
alter table storage.objects enable row level security;

create table if not exists storage.migrations (
  id integer primary key,
  name varchar(100) unique not null,
  hash varchar(40) not null,
  executed_at timestamp default current_timestamp
);

alter table storage.buckets owner to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
alter table storage.migrations owner to supabase_storage_admin;

-- As Storage's migrations grant them (0046, 0049): RLS decides, the grants do not.
grant all on storage.buckets, storage.objects to postgres with grant option;
grant all on storage.buckets, storage.objects to anon, authenticated, service_role;
grant all on storage.migrations to anon, authenticated, service_role;

-- Path helpers used in policies ---------------------------------------------------------------
create or replace function storage.foldername(name text) returns text[]
  language plpgsql immutable
  as $$
  declare
    _parts text[];
  begin
    select string_to_array(name, '/') into _parts;
    return _parts[1 : array_length(_parts, 1) - 1];
  end
  $$;

create or replace function storage.filename(name text) returns text
  language plpgsql immutable
  as $$
  declare
    _parts text[];
  begin
    select string_to_array(name, '/') into _parts;
    return _parts[array_length(_parts, 1)];
  end
  $$;

create or replace function storage.extension(name text) returns text
  language plpgsql immutable
  as $$
  declare
    _parts text[];
    _filename text;
  begin
    select string_to_array(name, '/') into _parts;
    select _parts[array_length(_parts, 1)] into _filename;
    return reverse(split_part(reverse(_filename), '.', 1));
  end
  $$;

-- The operation of the current request (`storage.object.upload`, …), for operation-aware policies.
create or replace function storage.operation() returns text
  language plpgsql stable
  as $$
  begin
    return current_setting('storage.operation', true);
  end;
  $$;

create or replace function storage.allow_only_operation(expected_operation text) returns boolean
  language sql stable
  as $$
    select case
      when coalesce(expected_operation, '') = '' then false
      else coalesce(
        regexp_replace(coalesce(storage.operation(), ''), '^storage\.', '')
          = regexp_replace(expected_operation, '^storage\.', ''),
        false)
    end
  $$;

create or replace function storage.allow_any_operation(expected_operations text[]) returns boolean
  language sql stable
  as $$
    select exists (
      select 1 from unnest(expected_operations) as expected
      where coalesce(expected, '') <> ''
        and regexp_replace(coalesce(storage.operation(), ''), '^storage\.', '') = regexp_replace(expected, '^storage\.', ''))
  $$;

create or replace function storage.get_size_by_bucket() returns table (size bigint, bucket_id text)
  language plpgsql stable
  as $$
  begin
    return query
      select sum((obj.metadata ->> 'size')::bigint)::bigint as size, obj.bucket_id
      from storage.objects as obj
      group by obj.bucket_id;
  end
  $$;

-- Checks whether the caller may insert this object (RLS), without keeping the row.
create or replace function storage.can_insert_object(bucketid text, name text, owner uuid, metadata jsonb) returns void
  language plpgsql
  as $$
  begin
    insert into storage.objects (bucket_id, name, owner, metadata) values (bucketid, name, owner, metadata);
    raise sqlstate 'PT200' using message = 'ROLLBACK', detail = 'rollback successful insert';
  end
  $$;

-- One folder level of a bucket, as `list()` shows it: the folders below `prefix` (id null) and the
-- files directly in it, names relative to `prefix`. `search` narrows the names (case-insensitive
-- prefix match). Sorted by name (folders and files together), or by a date column with the folders
-- first. Runs as the caller: RLS on storage.objects decides which objects count. `levels` is kept
-- for Storage's signature; the levels come from `prefix`.
create or replace function storage.search(
  prefix text, bucketname text, limits integer default 100, levels integer default 1, offsets integer default 0,
  search text default '', sortcolumn text default 'name', sortorder text default 'asc'
) returns table (name text, id uuid, updated_at timestamptz, created_at timestamptz, last_accessed_at timestamptz, metadata jsonb)
  language plpgsql stable security invoker
  as $$
  declare
    v_prefix text := coalesce(prefix, '');
    v_match text := lower(coalesce(prefix, '') || coalesce(search, ''));
    v_order text := case when lower(coalesce(sortorder, 'asc')) = 'desc' then 'desc' else 'asc' end;
    v_column text := case lower(coalesce(sortcolumn, 'name'))
      when 'updated_at' then 'updated_at' when 'created_at' then 'created_at'
      when 'last_accessed_at' then 'last_accessed_at' else 'name' end;
    v_order_by text;
  begin
    if v_column = 'name' then
      v_order_by := format('lower(e.name) collate "C" %s, e.name collate "C" %s', v_order, v_order);
    else
      v_order_by := format('e.is_folder desc, case when e.is_folder then lower(e.name) end collate "C" %s, e.%I %s, e.name collate "C"',
        v_order, v_column, v_order);
    end if;
    return query execute format($query$
      with matched as (
        select o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata, substr(o.name, length($1) + 1) as rest
        from storage.objects o
        where o.bucket_id = $2 and starts_with(lower(o.name), $3)
      ), entries as (
        select distinct split_part(m.rest, '/', 1) as name, null::uuid as id, null::timestamptz as updated_at,
               null::timestamptz as created_at, null::timestamptz as last_accessed_at, null::jsonb as metadata, true as is_folder
        from matched m where strpos(m.rest, '/') > 0
        union all
        select m.rest, m.id, m.updated_at, m.created_at, m.last_accessed_at, m.metadata, false
        from matched m where strpos(m.rest, '/') = 0
      )
      select e.name, e.id, e.updated_at, e.created_at, e.last_accessed_at, e.metadata
      from entries e
      order by %s
      limit $4 offset $5
    $query$, v_order_by)
    using v_prefix, bucketname, v_match, least(coalesce(limits, 100), 1500), greatest(coalesce(offsets, 0), 0);
  end
  $$;

grant execute on function
  storage.foldername(text), storage.filename(text), storage.extension(text), storage.operation(),
  storage.allow_only_operation(text), storage.allow_any_operation(text[]), storage.get_size_by_bucket(),
  storage.can_insert_object(text, text, uuid, jsonb),
  storage.search(text, text, integer, integer, integer, text, text, text)
  to postgres, anon, authenticated, service_role;

-- Triggers ------------------------------------------------------------------------------------
create or replace function storage.update_updated_at_column() returns trigger
  language plpgsql
  as $$
  begin
    new.updated_at = now();
    return new;
  end;
  $$;
drop trigger if exists update_objects_updated_at on storage.objects;
create trigger update_objects_updated_at before update on storage.objects
  for each row execute function storage.update_updated_at_column();

create or replace function storage.enforce_bucket_name_length() returns trigger
  language plpgsql
  as $$
  begin
    if length(new.name) > 100 then
      raise exception 'bucket name "%" is too long (% characters). Max is 100.', new.name, length(new.name);
    end if;
    return new;
  end;
  $$;
drop trigger if exists enforce_bucket_name_length_trigger on storage.buckets;
create trigger enforce_bucket_name_length_trigger before insert or update of name on storage.buckets
  for each row execute function storage.enforce_bucket_name_length();

-- Direct deletes would orphan the stored files: Storage refuses them unless the request comes
-- through the Storage API, which sets storage.allow_delete_query (Storage migration 0055).
create or replace function storage.protect_delete() returns trigger
  language plpgsql
  as $$
  begin
    if coalesce(current_setting('storage.allow_delete_query', true), 'false') != 'true' then
      raise exception 'Direct deletion from storage tables is not allowed. Use the Storage API instead.'
        using hint = 'This prevents accidental data loss from orphaned objects.', errcode = '42501';
    end if;
    return null;
  end;
  $$;
drop trigger if exists protect_buckets_delete on storage.buckets;
create trigger protect_buckets_delete before delete on storage.buckets
  for each statement execute function storage.protect_delete();
drop trigger if exists protect_objects_delete on storage.objects;
create trigger protect_objects_delete before delete on storage.objects
  for each statement execute function storage.protect_delete();

alter function storage.foldername(text) owner to supabase_storage_admin;
alter function storage.filename(text) owner to supabase_storage_admin;
alter function storage.extension(text) owner to supabase_storage_admin;
alter function storage.search(text, text, integer, integer, integer, text, text, text) owner to supabase_storage_admin;
