package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// newFlags is a sub-command's flag set. It prints nothing itself:
// parseFlags decides where the usage goes, because the flag package would
// print a mistake with the whole flag list and without the command's name,
// and --help on stderr with exit 2, as if asking for help were an error.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// flagsFailed answers a flag.Parse error and returns the exit code: --help
// (or -h) prints the synopsis and every flag on stdout and exits 0; any
// other mistake is one line naming the sub-command, then the synopsis, on
// stderr, and exits 2. flag's errors name the flag, never its value.
func flagsFailed(fs *flag.FlagSet, synopsis string, err error, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, synopsis)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return 0
	}
	fmt.Fprintf(stderr, "incidentbot %s: %v\n%s\n", fs.Name(), err, synopsis)
	return 2
}
