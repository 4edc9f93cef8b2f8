package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Cluster is one running PostgreSQL server whose superuser "postgres" is
// trusted on loopback: tests connect without a password.
type Cluster struct {
	bin, dir, data, sock, log string
	port                      int
	// cred runs the server's programs as the postgres user when the test
	// runs as root; nil otherwise.
	cred *syscall.Credential
	// removeDir: dir was made by this package (not t.TempDir), so Stop
	// removes it.
	removeDir bool
	// sockTemp is a socket directory made outside dir because dir's path is
	// too long for a Unix socket; Stop removes it.
	sockTemp bool
}

// DSN is the URL of database name on the cluster, over TCP on loopback.
func (c *Cluster) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

// Port is the loopback port the server listens on.
func (c *Cluster) Port() int { return c.port }

// Start creates a cluster in dir (which must exist) and starts it. skip is
// non-empty, and the cluster nil, when PostgreSQL cannot run on this
// machine: the caller skips its test with that line.
func Start(dir string) (c *Cluster, skip string, err error) {
	bin := binDir()
	if bin == "" {
		return nil, "postgres: initdb not installed (apt-get install postgresql)", nil
	}
	c = &Cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data"), sock: filepath.Join(dir, "sock"), log: filepath.Join(dir, "server.log")}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, "postgres: running as root, and initdb refuses root; there is no postgres user to run it as", nil
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	// A Unix socket path is limited to about 100 bytes; t.TempDir paths
	// carry the test's name.
	if len(c.sock)+len("/.s.PGSQL.65535") > 100 {
		if c.sock, err = os.MkdirTemp("", "pgsock"); err != nil {
			return nil, "", err
		}
		c.sockTemp = true
	}
	if err := c.prepareDirs(); err != nil {
		c.cleanup()
		return nil, "", err
	}
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		c.cleanup()
		return nil, "", fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := c.StartAgain(); err != nil {
		c.cleanup()
		return nil, "", err
	}
	return c, "", nil
}

// StartAgain starts the server after Stop (Start starts it the first time),
// on a new free port when the old one is taken.
func (c *Cluster) StartAgain() error {
	var err error
	// Another process may take the free port between our probe and the
	// server's bind; try a few.
	for range 3 {
		if c.port == 0 {
			if c.port, err = freePort(); err != nil {
				return err
			}
		}
		// fsync off for speed; synchronous_commit stays on, so a Restart
		// (an immediate stop, a crash to the server) keeps every commit
		// it acknowledged, as a real server does.
		opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off -c full_page_writes=off -c max_connections=200", c.port, c.sock)
		var out []byte
		out, err = c.run("pg_ctl", "start", "-w", "-D", c.data, "-l", c.log, "-o", opts)
		if err == nil {
			return nil
		}
		logText, _ := os.ReadFile(c.log)
		err = fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, logText)
		if !bytes.Contains(logText, []byte("could not bind")) {
			return err
		}
		c.port = 0
	}
	return err
}

// Stop stops the server at once (the data is throwaway, so there is no
// checkpoint to wait for). Stopping a stopped server is harmless. A cluster
// made by Main also loses its directory.
func (c *Cluster) Stop() error {
	var err error
	if out, runErr := c.run("pg_ctl", "status", "-D", c.data); runErr == nil {
		if out, runErr = c.run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", c.data); runErr != nil {
			err = fmt.Errorf("pg_ctl stop: %w\n%s", runErr, out)
		}
	} else if !bytes.Contains(out, []byte("no server running")) {
		err = fmt.Errorf("pg_ctl status: %w\n%s", runErr, out)
	}
	return errors.Join(err, c.cleanup())
}

// Restart stops the server and starts it again on the same port, as an
// operator's restart would: open connections are lost.
func (c *Cluster) Restart() error {
	if out, err := c.run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", c.data); err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return c.StartAgain()
}

// cleanup removes what Start made outside t.TempDir.
func (c *Cluster) cleanup() error {
	var errs []error
	if c.sockTemp {
		errs = append(errs, os.RemoveAll(c.sock))
	}
	if c.removeDir {
		errs = append(errs, os.RemoveAll(c.dir))
	}
	return errors.Join(errs...)
}

// prepareDirs makes the data and socket directories and, as root, hands
// them to the postgres user and opens the way to them: t.TempDir makes its
// directories 0700 for root alone.
func (c *Cluster) prepareDirs() error {
	for _, d := range []string{c.data, c.sock} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if err := os.WriteFile(c.log, nil, 0o600); err != nil {
		return err
	}
	if c.cred == nil {
		return nil
	}
	for _, p := range []string{c.data, c.sock, c.log} {
		if err := os.Chown(p, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return err
		}
	}
	tmp := filepath.Clean(os.TempDir())
	for _, d := range []string{c.dir, filepath.Dir(c.sock)} {
		for p := d; strings.HasPrefix(p, tmp+string(filepath.Separator)); p = filepath.Dir(p) {
			st, err := os.Stat(p)
			if err != nil {
				return err
			}
			if err := os.Chmod(p, st.Mode().Perm()|0o011); err != nil {
				return err
			}
		}
	}
	return nil
}

// run runs one of the server's programs, as the postgres user when root.
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	// The C locale: the host's may not be generated, and initdb then fails.
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
		cmd.Dir = "/"
	}
	return cmd.CombinedOutput()
}

// binDir finds the newest PostgreSQL installed the Debian way
// (/usr/lib/postgresql/N/bin), else initdb on PATH.
func binDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

// version reads N from /usr/lib/postgresql/N/bin.
func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
