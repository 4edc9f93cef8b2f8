package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The built binary finds its settings where operators put them: --config,
// else $INCIDENTBOT_CONFIG, else ./config.yaml, and an INCIDENTBOT_ variable
// wins over the file's key. Each case points the winning source at the one
// store holding INC-1 and every losing source at a store that does not
// exist, so export succeeds only if the right source won.
func TestConfigSourcesInOrder(t *testing.T) {
	dir := t.TempDir()
	right := filepath.Join(dir, "right.db")
	seedStore(t, right)
	wrong := filepath.Join(dir, "wrong.db")
	file := func(name, store string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("store:\n  path: "+store+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rightFile, wrongFile := file("right.yaml", right), file("wrong.yaml", wrong)

	tests := []struct {
		name      string
		cwdConfig string // the store ./config.yaml names; "" = no such file
		env       []string
		args      []string
	}{
		{"./config.yaml when nothing else names a file", right, nil, nil},
		{"$INCIDENTBOT_CONFIG over ./config.yaml", wrong, []string{"INCIDENTBOT_CONFIG=" + rightFile}, nil},
		{"--config over $INCIDENTBOT_CONFIG", wrong, []string{"INCIDENTBOT_CONFIG=" + wrongFile}, []string{"--config", rightFile}},
		{"INCIDENTBOT_STORE_PATH over the file's store.path", "", []string{"INCIDENTBOT_STORE_PATH=" + right}, []string{"--config", wrongFile}},
		{"INCIDENTBOT_STORE_PATH over ./config.yaml", wrong, []string{"INCIDENTBOT_STORE_PATH=" + right}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cwd := t.TempDir()
			if tt.cwdConfig != "" {
				if err := os.WriteFile(filepath.Join(cwd, "config.yaml"), []byte("store:\n  path: "+tt.cwdConfig+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(binary, append([]string{"export", "--format", "json"}, append(tt.args, "INC-1")...)...)
			cmd.Dir = cwd
			cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, tt.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("export: %v\nstderr %q", err, stderr.String())
			}
			if !strings.Contains(stdout.String(), `"title": "db down"`) || stderr.Len() != 0 {
				t.Fatalf("stdout %q\nstderr %q", stdout.String(), stderr.String())
			}
		})
	}
}
