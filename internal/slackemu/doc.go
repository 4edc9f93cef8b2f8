// Package slackemu emulates the parts of Slack that incidentbot uses — the Web API
// and Socket Mode — on a loopback port, so that slack-go's own clients can run
// against it unchanged and tests can assert on everything that happened.
//
// It keeps real workspace state (users, channels, messages, files, modals), answers
// with Slack's response shapes and error codes (as Slack documents them),
// is strict where Slack is strict (tokens, trigger_id lifetime, Block Kit limits,
// channel names, 20 KiB ack frames), and records every Web API call, delivery and ack.
//
// A test usually looks like:
//
//	emu := slackemu.Start(t)
//	api := slack.New(emu.BotToken(), slack.OptionAppLevelToken(emu.AppToken()),
//		slack.OptionAPIURL(emu.APIURL()))
//	client := socketmode.New(api)
//	go client.RunContext(ctx)
//	ack, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: alice, ChannelID: ch, Text: "help"})
//	call, err := emu.WaitCall(ctx, "chat.postMessage", nil)
//
// Scopes are granted all by default; Options.Scopes narrows them, which matters to
// chat.postMessage (chat:write.public lets the bot post in public channels it has
// not joined) and conversations.join (channels:join). Timers for ack deadlines run on real time; expiry of trigger_ids and
// response_urls, message timestamps and rate-limit buckets follow Options.Now, so a
// test can move them with a Clock.
//
// BlackHole makes live sockets half-open (nothing gets through either way) and
// ConnectionLog records when each socket said hello, was black-holed or closed.
//
// # Where the rules come from
//
// Every rule the emulator enforces is Slack's documented behaviour. Comments
// name the page of Slack's API documentation it comes from, in short:
//
//	M/<method>  the method's reference page, https://api.slack.com/methods/<method>:
//	            its arguments, limits and error codes
//	RL-doc      rate limits: tiers, chat.postMessage's own limit, Retry-After
//	            (https://api.slack.com/apis/rate-limits)
//	SM-doc      Socket Mode: connections, envelopes, acks, refreshes
//	            (https://api.slack.com/apis/socket-mode)
//	SC-doc      slash commands: the payload and the immediate reply
//	            (https://api.slack.com/interactivity/slash-commands)
//	MOD-doc     modals: the view stack and a view_submission's response_action
//	            (https://api.slack.com/surfaces/modals)
//	HUI-doc     handling user interaction: trigger_id and response_url
//	            (https://api.slack.com/interactivity/handling)
//	FMT-doc     formatting text: & < > escaped as &amp; &lt; &gt; in text
//	            users type (https://api.slack.com/reference/surfaces/formatting)
package slackemu
