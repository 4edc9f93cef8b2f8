package app

import "os"

// WithStoreFile opens the store file with openFile, so a test can make the
// disk fail under the running bot.
func WithStoreFile(openFile func(string, int, os.FileMode) (*os.File, error)) Option {
	return func(o *options) { o.openFile = openFile }
}
