-- Which process claimed a record that is being indexed, and which processes are alive: each renews its
-- row while it runs, so that the claims of a process that stopped are given back to the others, and
-- never the claims of one that is only slow.
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS claimed_by text;

CREATE TABLE IF NOT EXISTS index_worker (
    worker  text PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);
