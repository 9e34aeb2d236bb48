-- Enrichment (tags and file paths from ComfyUI's history and the media folders): where each record stands.
-- enrich_state: NULL = to examine (new or changed by an import), 'done' = nothing more to fill,
-- 'waiting' = something is missing and is tried again at enrich_next_at (growing delays), 'gave_up' = not
-- tried again (the reason is in enrich_error) until asked (enrich --retry).
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS enrich_state text;
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS enrich_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS enrich_next_at timestamptz;
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS enrich_error text;
-- whether file_path led to an image on this machine when last examined (NULL = not examined)
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS path_found boolean;
-- when enrich last filled tags or a path of the record
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS enriched_at timestamptz;

-- the enrich route claims its work from here
CREATE INDEX IF NOT EXISTS image_library_enrich_idx ON image_library (enrich_next_at NULLS FIRST)
    WHERE status = 'active' AND (enrich_state IS NULL OR enrich_state = 'waiting');
