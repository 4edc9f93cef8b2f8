-- Replicas share the outbox: a replica claims a job for a lease before it
-- runs it (see claims.go). not_before_ns mirrors the record's NotBefore so
-- that a claim finds due jobs without decoding every record.
ALTER TABLE outbox
    ADD COLUMN not_before_ns  bigint NOT NULL DEFAULT 0,
    ADD COLUMN claimed_by     text,
    ADD COLUMN lease_until_ns bigint;
