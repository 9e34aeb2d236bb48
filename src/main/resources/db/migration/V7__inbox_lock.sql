-- Which instance is importing which inbox file: the inbox's idempotent read lock (ingest/InboxLocks), so
-- that of several instances polling one inbox exactly one takes each file. A row is a lease its holder
-- renews while it imports; a row not renewed for the lease belongs to a holder that died and is taken
-- over. The columns are those camel-sql's JdbcMessageIdRepository reads, plus the holder.
CREATE TABLE IF NOT EXISTS inbox_lock (
    processorName text NOT NULL,
    messageId     text NOT NULL,
    createdAt     timestamptz NOT NULL DEFAULT now(),
    holder        text NOT NULL,
    PRIMARY KEY (processorName, messageId)
);
