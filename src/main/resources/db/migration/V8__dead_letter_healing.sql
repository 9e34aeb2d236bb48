-- Dead letters that heal themselves. state 'resolved' (beside 'open', 'replayed', 'dismissed'): the failure did not
-- recur, with when and how in resolved_at and resolution. An index letter is resolved when the records it names are
-- indexed, in the transaction that indexes the last of them; a sync letter when a later sync run finishes.
-- records: the library records a dead letter names (an index batch), so that an indexed record finds its letters.
ALTER TABLE dead_letter ADD COLUMN IF NOT EXISTS records uuid[];
-- (and a record's page lists every letter naming it, whatever its state)
CREATE INDEX IF NOT EXISTS dead_letter_records_idx ON dead_letter USING gin (records);
CREATE INDEX IF NOT EXISTS dead_letter_record_idx ON dead_letter (record_id);

-- the open index letters written before: their records as raw names them (JSON written by the dead-letter route);
-- a raw that is not that JSON is left as it is, for replay or dismissal
DO $$
DECLARE
    letter record;
BEGIN
    FOR letter IN SELECT id, raw FROM dead_letter WHERE state = 'open' AND records IS NULL AND stage LIKE 'index%' LOOP
        BEGIN
            UPDATE dead_letter SET records = ARRAY(SELECT jsonb_array_elements_text(letter.raw::jsonb -> 'records')::uuid)
            WHERE id = letter.id AND jsonb_typeof(letter.raw::jsonb -> 'records') = 'array';
        EXCEPTION WHEN others THEN
            NULL;
        END;
    END LOOP;
END $$;

-- and those whose records were all indexed since (those no longer in the library aside) are resolved now
UPDATE dead_letter d SET state = 'resolved', resolved_at = now(),
       resolution = 'its records were indexed since (found when the database was upgraded); the failure did not recur'
WHERE d.state = 'open'
  AND EXISTS (SELECT 1 FROM image_library t WHERE t.id = ANY (d.records) AND t.status = 'active')
  AND NOT EXISTS (SELECT 1 FROM image_library t
                  WHERE t.id = ANY (d.records) AND t.status = 'active'
                    AND (t.index_state <> 'indexed' OR t.indexed_at IS NULL OR t.indexed_at < d.created_at));
