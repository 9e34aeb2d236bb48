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

-- The embedding model and vector size the library's vectors were made with (one row), so that a change of
-- model is noticed at start; and the full reindex under way, if any (started, model, records queued).
CREATE TABLE IF NOT EXISTS index_model (
    one           boolean PRIMARY KEY DEFAULT true CHECK (one),
    model         text NOT NULL,
    dimensions    integer NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    full_started_at  timestamptz,
    full_finished_at timestamptz,
    full_queued   bigint
);
