package config

import (
	"fmt"
	"strings"
	"testing"
)

const dsnPassword = "Sekr3t-db-pass"

func TestStoreDriverIsCheckedInOneLine(t *testing.T) {
	for _, tt := range []struct {
		name    string
		environ []string
		want    string // "" = valid
	}{
		{"bbolt by default", nil, ""},
		{"postgres with a dsn", []string{"INCIDENTBOT_STORE_DRIVER=postgres", "INCIDENTBOT_STORE_DSN=postgres://bot:" + dsnPassword + "@db/x"}, ""},
		{"postgres needs no path", []string{"INCIDENTBOT_STORE_DRIVER=postgres", "INCIDENTBOT_STORE_DSN=host=db", "INCIDENTBOT_STORE_PATH="}, ""},
		{"unknown driver", []string{"INCIDENTBOT_STORE_DRIVER=mysql"}, `store.driver "mysql" is not a store: use bbolt (one file, the default) or postgres (a shared database, for replicas)`},
		{"postgres without a dsn", []string{"INCIDENTBOT_STORE_DRIVER=postgres"}, "store.driver is postgres but store.dsn is empty"},
		{"bbolt still needs its path", []string{"INCIDENTBOT_STORE_PATH="}, "store.path is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, "", tt.environ...)
			err := c.ValidateLocal()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ValidateLocal = %v, want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("ValidateLocal = %v, want %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Fatalf("the error is not one line: %q", err)
			}
		})
	}
}

func TestTheDSNPasswordNeverShows(t *testing.T) {
	for _, dsn := range []string{
		"postgres://bot:" + dsnPassword + "@db.internal:5432/incidents?sslmode=require",
		"host=db.internal user=bot password=" + dsnPassword + " dbname=incidents",
	} {
		c := mustLoad(t, "", "INCIDENTBOT_STORE_DRIVER=postgres", "INCIDENTBOT_STORE_DSN="+dsn)
		for name, text := range map[string]string{"Redacted": c.Redacted(), "%v": strings.TrimSpace(sprintV(c))} {
			if strings.Contains(text, dsnPassword) {
				t.Errorf("%s shows the DSN's password: %s", name, text)
			}
			if !strings.Contains(text, "db.internal") {
				t.Errorf("%s does not say where the database is: %s", name, text)
			}
		}
		// A bad value elsewhere: the error must not carry the DSN either.
		c.Log.Level = dsnPassword
		if err := c.ValidateLocal(); err == nil || strings.Contains(err.Error(), dsnPassword) {
			t.Errorf("ValidateLocal = %v, want an error without the password", err)
		}
	}
	// A file that does not parse, with the DSN from the environment.
	file := writeConfig(t, "store: {driver: postgres\n")
	_, err := Load(file, []string{"INCIDENTBOT_STORE_DSN=postgres://bot:" + dsnPassword + "@db/x"})
	if err == nil || strings.Contains(err.Error(), dsnPassword) {
		t.Errorf("Load = %v, want an error without the password", err)
	}
}

func sprintV(c *Config) string { return fmt.Sprintf("%v", c) }
