-- The lexical side of search (hybrid search): each instance keeps a Lucene index of the records' words in its data
-- folder (batchimage.lexical), fed from here. lexical_xid is the transaction that last changed what a record's words
-- are or whether it has any: the index route's transaction that records its vectors' fingerprints, a delete's. An
-- instance reads the rows of the transactions it may not have seen (lexical_xid at least the oldest transaction
-- running when it last read), so that a transaction that commits late is never missed.
ALTER TABLE image_library ADD COLUMN IF NOT EXISTS lexical_xid xid8;
CREATE INDEX IF NOT EXISTS image_library_lexical_xid_idx ON image_library (lexical_xid, id) WHERE lexical_xid IS NOT NULL;

-- records removed for good (a purge): their words go from every instance's index too
CREATE TABLE IF NOT EXISTS lexical_removed (
    id  uuid NOT NULL,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS lexical_removed_xid_idx ON lexical_removed (xid);

-- records indexed before this version have their words at once: nothing is embedded again
UPDATE image_library SET lexical_xid = pg_current_xact_id() WHERE index_state = 'indexed';
