-- What the index route last wrote to each namespace (a fingerprint of text, metadata, model and
-- dimensions; NULL = nothing there) and when a record may be tried again after a failure.
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS prompt_fp text;
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS description_fp text;
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS next_attempt_at timestamptz;
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS claimed_at timestamptz;
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS indexed_at timestamptz;

-- the index route claims work from here; records being indexed are 'indexing' until done
CREATE INDEX IF NOT EXISTS image_library_pending_idx ON image_library (id) WHERE index_state IN ('pending', 'indexing');
