-- The library. Keeps the old scripts' table and columns (id, name, file_path, prompt, description,
-- theme, sub_theme, status) and adopts an existing one: every statement is safe on the old DDL.
CREATE TABLE IF NOT EXISTS image_library (
    id          uuid PRIMARY KEY,
    name        text,
    file_path   text,
    prompt      text,
    description text,
    theme       text,
    sub_theme   text,
    status      text DEFAULT 'active'
);

-- the old DDL used varchar(n); long prompts and Windows paths need text
ALTER TABLE image_library ALTER COLUMN name TYPE text;
ALTER TABLE image_library ALTER COLUMN file_path TYPE text;
ALTER TABLE image_library ALTER COLUMN prompt TYPE text;
ALTER TABLE image_library ALTER COLUMN description TYPE text;
ALTER TABLE image_library ALTER COLUMN theme TYPE text;
ALTER TABLE image_library ALTER COLUMN sub_theme TYPE text;
ALTER TABLE image_library ALTER COLUMN status TYPE text;
UPDATE image_library SET status = 'active' WHERE status IS NULL;
ALTER TABLE image_library ALTER COLUMN status SET DEFAULT 'active';
ALTER TABLE image_library ALTER COLUMN status SET NOT NULL;

ALTER TABLE image_library ADD COLUMN IF NOT EXISTS extra jsonb;
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS source_file text;
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now();
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();
-- index state: pending until the index route has embedded and upserted the record's current content
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS index_state text NOT NULL DEFAULT 'pending';
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS index_error text;
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS index_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS content_changed_at timestamptz DEFAULT now();

-- no secondary indexes yet: each one costs bulk imports; the index route adds what it needs to claim work

-- Everything that could not go where it was meant to: rejected input records, failed files,
-- and (later) every route's dead-letter channel.
CREATE TABLE IF NOT EXISTS dead_letter (
    id          bigserial PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    stage       text NOT NULL,
    source_file text,
    sub_theme   text,
    position    integer,
    record_id   text,
    field       text,
    reason      text NOT NULL,
    raw         text,
    state       text NOT NULL DEFAULT 'open'
);
CREATE INDEX IF NOT EXISTS dead_letter_file_idx ON dead_letter (source_file, stage);

-- One row per imported file.
CREATE TABLE IF NOT EXISTS import_run (
    id          bigserial PRIMARY KEY,
    file_name   text NOT NULL,
    file_path   text NOT NULL,
    file_bytes  bigint,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    seconds     double precision,
    outcome     text NOT NULL DEFAULT 'running',
    records_read integer NOT NULL DEFAULT 0,
    inserted    integer NOT NULL DEFAULT 0,
    updated     integer NOT NULL DEFAULT 0,
    unchanged   integer NOT NULL DEFAULT 0,
    rejected    integer NOT NULL DEFAULT 0,
    superseded  integer NOT NULL DEFAULT 0,
    error       text
);
