-- One row per run of the sync route: when, why (schedule, api, command), what it found and did per
-- namespace (drift), and how it ended. A scheduled run names its Quartz tick: several instances on one
-- database fire the same tick, and the unique index lets exactly one of them run it.
CREATE TABLE IF NOT EXISTS sync_run (
    id          bigserial PRIMARY KEY,
    tick        timestamptz,
    started_by  text NOT NULL,
    mode        text NOT NULL DEFAULT 'changed',
    instance    text,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    seconds     double precision,
    outcome     text NOT NULL DEFAULT 'running',
    drift       jsonb,
    error       text
);
CREATE UNIQUE INDEX IF NOT EXISTS sync_run_tick_idx ON sync_run (tick);

-- The embedding model and vector size the library's live vectors were made with (one row), so that a change
-- of model is noticed at start and search embeds its queries with the model of the vectors it searches. The
-- live vectors are in generation `generation` of the namespaces (0: prompt and description, n: prompt-gn and
-- description-gn). A full reindex builds generation `building_generation` with `building_model` beside them
-- while search keeps answering from the live one, and switches to it when every record is in it.
CREATE TABLE IF NOT EXISTS index_model (
    one                 boolean PRIMARY KEY DEFAULT true CHECK (one),
    model               text NOT NULL,
    dimensions          integer NOT NULL,
    generation          integer NOT NULL DEFAULT 0,
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    building_generation integer,
    building_model      text,
    building_dimensions integer,
    full_started_at     timestamptz,
    full_finished_at    timestamptz,
    full_queued         bigint
);
