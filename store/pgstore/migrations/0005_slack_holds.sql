-- Slack's rate limits are per workspace (per channel for chat.postMessage),
-- not per replica: a 429's Retry-After, recorded here by the replica that
-- got it, holds every replica's calls under the same limit (see holds.go).
-- key is the limit (a method, or "chat.postMessage/<channel>").
CREATE TABLE slack_holds (
    key      text PRIMARY KEY,
    until_ns bigint NOT NULL
);
