-- The first schema: the same records and indexes as the bbolt store.
-- Records are JSON, exactly as bbolt keeps them (json, not jsonb, keeps the
-- bytes the bot wrote); the columns beside them are what queries need.
-- Instants used as keys are Unix nanoseconds (bigint): timestamptz keeps
-- only microseconds, and a reminder must come back as it was set.

-- The last incident number issued. Users see the numbers, so they come
-- from this one row, not a sequence: the row lock orders declarations
-- across replicas (never two INC-7s, numbers in commit order), and a
-- declaration that rolls back gives its number back (a sequence would
-- skip it, and skip 32 after a crash).
CREATE TABLE incident_counter (
    last bigint NOT NULL
);
INSERT INTO incident_counter (last) VALUES (0);

CREATE TABLE incidents (
    number      bigint PRIMARY KEY,
    -- the channel index; NULL until the channel exists
    channel_id  text UNIQUE,
    open        boolean NOT NULL,
    declared_ns bigint NOT NULL,
    -- the last event seq issued: an UPDATE of this row issues the next,
    -- so seqs are gapless per incident and a rollback returns its seq
    last_seq    bigint NOT NULL DEFAULT 0,
    body        json NOT NULL
);
CREATE INDEX incidents_open ON incidents (number) WHERE open;
CREATE INDEX incidents_declared ON incidents (declared_ns);

CREATE TABLE events (
    incident bigint NOT NULL REFERENCES incidents (number),
    seq      bigint NOT NULL,
    body     json NOT NULL,
    PRIMARY KEY (incident, seq)
);

-- At most one reminder per incident.
CREATE TABLE reminders (
    incident bigint PRIMARY KEY REFERENCES incidents (number),
    due_ns   bigint NOT NULL
);
CREATE INDEX reminders_due ON reminders (due_ns, incident);

-- Resolutions not yet considered for the postmortem nudge, and for
-- auto-archive.
CREATE TABLE postmortem_nudges (
    resolved_ns bigint NOT NULL,
    incident    bigint NOT NULL,
    PRIMARY KEY (resolved_ns, incident)
);
CREATE TABLE archives_due (
    resolved_ns bigint NOT NULL,
    incident    bigint NOT NULL,
    PRIMARY KEY (resolved_ns, incident)
);

-- The outbox. IDs come from a sequence taken under a transaction-level
-- advisory lock (see Enqueue), so ID order is commit order.
CREATE SEQUENCE outbox_ids;
CREATE TABLE outbox (
    id       bigint PRIMARY KEY,
    incident bigint NOT NULL,
    body     json NOT NULL
);
CREATE INDEX outbox_incident ON outbox (incident, id);

-- Delivery keys already handled (at_ns: when), and facts remembered for
-- good (at_ns NULL), which pruning never removes.
CREATE TABLE seen (
    key   text PRIMARY KEY,
    at_ns bigint
);
CREATE INDEX seen_at ON seen (at_ns, key) WHERE at_ns IS NOT NULL;
