-- The integrations' tables: Alertmanager alert groups by groupKey (with the
-- short ID a button carries), the recent declarations made from alerts (the
-- rate limit), and what each Idempotency-Key of the HTTP API produced.
CREATE TABLE alert_groups (
    key  text PRIMARY KEY,
    id   text NOT NULL UNIQUE,
    body jsonb NOT NULL
);

CREATE TABLE alert_declarations (
    at_ns    bigint NOT NULL,
    incident bigint NOT NULL,
    PRIMARY KEY (at_ns, incident)
);

CREATE TABLE api_requests (
    key  text PRIMARY KEY,
    body jsonb NOT NULL
);
