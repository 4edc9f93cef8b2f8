// Package sandbox runs the whole incidentbot in one process with no Slack
// workspace: a Slack emulator (internal/slackemu), the real bot connected to
// it over Socket Mode exactly as in production, and a web UI that looks like
// a chat client. Everything the UI shows is read from the emulator's
// recorded state, and everything a user does in it is delivered to the bot
// as the envelope Slack would send (slash command, block_actions,
// view_submission…); the UI never imitates the bot.
package sandbox
