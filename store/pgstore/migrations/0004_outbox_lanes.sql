-- A job's lane orders it within its incident (store.Job.Lane): Slack's jobs
-- are the incident's own lane, each outside destination (a webhook, PagerDuty)
-- has one of its own, so a dead endpoint never holds up the incident's Slack
-- work. A claim takes the head of each (incident, lane).
ALTER TABLE outbox ADD COLUMN lane text NOT NULL DEFAULT '';
UPDATE outbox SET lane = COALESCE(body->>'lane', '');
