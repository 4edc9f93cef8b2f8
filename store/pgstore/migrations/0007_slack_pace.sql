-- The pacer of chat.postMessage under Slack's workspace-wide limit: one
-- schedule for every replica, so that together they send what the
-- workspace is allowed, not that much each (see pace.go). key names the
-- limit ("chat.postMessage"); state is the bot's own record of it, read
-- and replaced under the row's lock.
CREATE TABLE slack_pace (
    key   text PRIMARY KEY,
    state json NOT NULL
);
