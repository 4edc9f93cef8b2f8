package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

func TestMigrateDryRunListsThenMigrateApplies(t *testing.T) {
	const password = "migrate-Sekr3t"
	db := pgtest.Private(t)
	env := []string{"INCIDENTBOT_STORE_DRIVER=postgres",
		fmt.Sprintf("INCIDENTBOT_STORE_DSN=postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", password, db.Port())}
	run := func(env []string, args ...string) (int, string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := Main(t.Context(), append([]string{"migrate"}, args...), env, &out, &errOut)
		if strings.Contains(out.String()+errOut.String(), password) {
			t.Fatalf("migrate %v showed the DSN's password:\n%s%s", args, out.String(), errOut.String())
		}
		return code, out.String(), errOut.String()
	}
	all, err := pgstore.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var wouldApply, applied string
	for _, m := range all {
		wouldApply += fmt.Sprintf("would apply %04d %s\n", m.Version, m.Name)
		applied += fmt.Sprintf("applied %04d %s\n", m.Version, m.Name)
	}
	if !strings.HasPrefix(wouldApply, "would apply 0001 init\n") {
		t.Fatalf("the first migration is listed as %q", wouldApply)
	}
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"--dry-run"}, wouldApply},
		{[]string{"--dry-run"}, wouldApply}, // the dry run changed nothing
		{nil, applied},
		{nil, "the database schema is up to date; nothing to do\n"},
		{[]string{"--dry-run"}, "the database schema is up to date; nothing to do\n"},
	} {
		code, out, errOut := run(env, step.args...)
		if code != 0 || out != step.want {
			t.Fatalf("migrate %v = %d %q %q, want 0 %q", step.args, code, out, errOut, step.want)
		}
	}

	// A database that cannot be reached: one line, exit 1, no password.
	down := []string{"INCIDENTBOT_STORE_DRIVER=postgres", "INCIDENTBOT_STORE_DSN=postgres://postgres:" + password + "@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5"}
	if code, _, errOut := run(down); code != 1 || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("migrate against nothing = %d %q, want 1 and one line", code, errOut)
	}
	// The bbolt store migrates itself.
	if code, out, _ := run(nil, "--dry-run"); code != 0 || !strings.Contains(out, "nothing to do") {
		t.Fatalf("migrate on bbolt = %d %q", code, out)
	}
	if code, _, errOut := run(env, "extra"); code != 2 || !strings.Contains(errOut, "unexpected argument") {
		t.Fatalf("migrate extra = %d %q", code, errOut)
	}
}
