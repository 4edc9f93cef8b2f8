package app

import (
	"os"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/templates"
)

// OpenWithStoreFile is Open with the store file opened by openFile, so a
// test can make the disk fail under the running bot.
func OpenWithStoreFile(cfg *config.Config, tmpl *templates.Set, log zerolog.Logger, openFile func(string, int, os.FileMode) (*os.File, error)) (*App, error) {
	return open(cfg, tmpl, log, options{clock: clock.Real{}, openFile: openFile})
}
