package dsn

import (
	"strings"
	"testing"
)

func TestRedactMasksThePasswordInEveryForm(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://bot:s3cr3t-pw@db.internal:5432/incidents?sslmode=require", "postgres://bot:*****@db.internal:5432/incidents?sslmode=require"},
		{"postgresql://bot@db/incidents?password=s3cr3t-pw&sslmode=disable", "postgresql://bot@db/incidents?password=*****&sslmode=disable"},
		{"postgres://db/incidents", "postgres://db/incidents"},
		{"host=db user=bot password=s3cr3t-pw dbname=incidents", "host=db user=bot password=***** dbname=incidents"},
		{"host=db password='with space' dbname=x", "host=db password=***** dbname=x"},
		{"host=db PASSWORD = s3cr3t-pw", "host=db PASSWORD = *****"},
		{"postgres://bot:p%40ss:w@rd@db/x%zz", "postgres://*****@db/x%zz"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestScrubRemovesThePasswordFromADriversMessage(t *testing.T) {
	s := "postgres://bot:s3cr3t%2Fpw@db/incidents"
	msg := `cannot parse "postgres://bot:s3cr3t%2Fpw@db/incidents": password s3cr3t/pw rejected`
	got := Scrub(msg, s)
	if strings.Contains(got, "s3cr3t") {
		t.Fatalf("Scrub left the password in %q", got)
	}
}
