package sandbox

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

//go:embed web
var webFS embed.FS

// Shortcut is a message shortcut of the app, which the UI offers in every
// message's "More actions" menu, as Slack does for the shortcuts the app's
// manifest declares.
type Shortcut struct {
	Name, CallbackID string
}

// ManifestShortcuts are the message shortcuts manifest.yaml declares (a test
// keeps the two in step).
func ManifestShortcuts() []Shortcut {
	return []Shortcut{{Name: "Add to timeline", CallbackID: "add_to_timeline"}}
}

// handlerOptions configures the web UI.
type handlerOptions struct {
	Emu           *slackemu.Server
	Command       string // the slash command the app declares, "/incident"
	ChannelPrefix string // incident channels' prefix, "inc"
	Announce      string // the channel the UI opens first
	Shortcuts     []Shortcut
	Now           func() time.Time
	Log           zerolog.Logger
}

// handler serves the web UI: the page, its assets, the state of what one
// user sees, the live change feed, and the user's actions.
type handler struct {
	emu           *slackemu.Server
	command       string
	channelPrefix string
	announce      string
	shortcuts     []Shortcut
	now           func() time.Time
	log           zerolog.Logger
	tmpl          *template.Template
	mux           *http.ServeMux
}

func newHandler(o handlerOptions) (*handler, error) {
	tmpl, err := template.ParseFS(webFS, "web/*.html")
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &handler{
		emu: o.Emu, command: o.Command, channelPrefix: o.ChannelPrefix, announce: o.Announce,
		shortcuts: o.Shortcuts, now: o.Now, log: o.Log, tmpl: tmpl, mux: http.NewServeMux(),
	}
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		return nil, err
	}
	h.mux.HandleFunc("GET /{$}", h.page)
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET /api/state", h.state)
	h.mux.HandleFunc("GET /api/events", h.events)
	h.mux.HandleFunc("GET /api/file", h.file)
	h.mux.HandleFunc("POST /api/slash", h.slash)
	h.mux.HandleFunc("POST /api/message", h.message)
	h.mux.HandleFunc("POST /api/action", h.action)
	h.mux.HandleFunc("POST /api/shortcut", h.shortcut)
	h.mux.HandleFunc("POST /api/react", h.react)
	h.mux.HandleFunc("POST /api/view/submit", h.submitView)
	h.mux.HandleFunc("POST /api/view/close", h.closeView)
	h.mux.HandleFunc("POST /api/home", h.openHome)
	return h, nil
}

// ServeHTTP refuses requests that another web site could have made: the UI
// acts as any workspace user, so only pages it served itself may use it.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !loopbackHost(r.Host) {
		// A DNS name that resolves to 127.0.0.1 (DNS rebinding) is not us.
		http.Error(w, "the sandbox answers only on a loopback address", http.StatusForbidden)
		return
	}
	if r.Method == http.MethodPost {
		if origin := r.Header.Get("Origin"); origin != "" && origin != "http://"+r.Host {
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "send JSON", http.StatusUnsupportedMediaType)
			return
		}
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	h.mux.ServeHTTP(w, r)
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pageData is what the page template needs to start.
type pageData struct {
	Users    []userVM
	Command  string
	Announce string
	BotName  string
}

type userVM struct {
	ID, Name, Handle, Initials string
	Color                      int
}

func (h *handler) people() []userVM {
	var out []userVM
	for _, u := range h.emu.Users() {
		if u.IsBot || u.Deleted {
			continue
		}
		name := u.RealName
		if name == "" {
			name = u.Name
		}
		out = append(out, userVM{ID: u.ID, Name: name, Handle: u.Name, Initials: initials(name), Color: colorOf(u.ID)})
	}
	return out
}

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	bot, _ := h.emu.User(h.emu.BotUserID())
	h.render(w, "page", pageData{Users: h.people(), Command: h.command, Announce: h.announce, BotName: bot.Name})
}

// render executes a template into a buffer first, so a failing template
// answers 500 instead of half a page.
func (h *handler) render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error().Err(err).Str("template", name).Msg("sandbox: render")
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (h *handler) fragment(name string, data any) (string, error) {
	var buf bytes.Buffer
	err := h.tmpl.ExecuteTemplate(&buf, name, data)
	return buf.String(), err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers a user action the UI could not deliver, with a line the UI
// shows next to where the user acted.
func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// rawField returns one field of a JSON object, undecoded.
func rawField(raw json.RawMessage, key string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m[key]
}
