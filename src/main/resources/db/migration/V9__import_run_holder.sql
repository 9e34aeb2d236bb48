-- Which process runs an import, and when it last said it still does: a run whose process ended before the file
-- was stored (killed, or its machine lost) is closed as 'interrupted' instead of staying 'running' for ever. The
-- holder is named like the other leases (pid@host/tag); seen_at is renewed while the import runs.
ALTER TABLE import_run ADD COLUMN IF NOT EXISTS holder text;
ALTER TABLE import_run ADD COLUMN IF NOT EXISTS seen_at timestamptz;
