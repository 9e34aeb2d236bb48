-- Replaying and dismissing dead letters. state: 'open' (to act on), 'replayed' (put back where it failed, and
-- taken), 'dismissed' (set aside by a user, with a note). A replay that fails again leaves the row open, with
-- the new reason, and counts it.
ALTER TABLE dead_letter ADD COLUMN IF NOT EXISTS resolved_at timestamptz;
-- the user's note of a dismissal, or what a replay did
ALTER TABLE dead_letter ADD COLUMN IF NOT EXISTS resolution text;
-- the corrected record (JSON) a user gave to replay a rejected input record; raw keeps the record as read
ALTER TABLE dead_letter ADD COLUMN IF NOT EXISTS corrected_raw text;
ALTER TABLE dead_letter ADD COLUMN IF NOT EXISTS replay_count integer NOT NULL DEFAULT 0;
ALTER TABLE dead_letter ADD COLUMN IF NOT EXISTS last_replayed_at timestamptz;

-- replay-all walks the open ones, oldest first
CREATE INDEX IF NOT EXISTS dead_letter_open_idx ON dead_letter (id) WHERE state = 'open';
