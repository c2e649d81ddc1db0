package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinaryExitCodes builds sidguard and runs it as a subprocess, to pin the exit-code
// contract scripts rely on (run() is tested in process; this checks main passes it through).
func TestBinaryExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := buildSidguard(t)
	policy, err := os.ReadFile(filepath.Join("testdata", "policy-aws.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args       []string
		stdin      []byte
		exit       int
		wantStdout bool
	}{
		{[]string{"check", "testdata/policy-compliant.json"}, nil, 0, true},
		{[]string{"check", "testdata/policy-aws.json"}, nil, 1, true},
		{[]string{"check", "--format", "json"}, policy, 1, true},
		{[]string{"check", "testdata/policy-malformed.json"}, nil, 2, false},
		{[]string{"check", "--mode", "maybe"}, policy, 2, false},
		{[]string{"fix", "-"}, policy, 0, true},
		{[]string{"fix", "testdata/policy-wildcard.json"}, nil, 1, true}, // printed, needs a person
		{[]string{"fix", "testdata/policy-near-quota.json"}, nil, 1, true},
		{[]string{"fix", "testdata/not-json.yaml"}, nil, 2, false},
		{[]string{"check", "testdata/policy-partial-wildcard.json"}, nil, 2, false}, // IAM rejects role/ci-*
		{[]string{"fix", "testdata/policy-partial-wildcard.json"}, nil, 2, false},
		{[]string{"explain"}, policy, 0, true},
		{[]string{"scan-all"}, nil, 2, false},
		{[]string{"--version"}, nil, 0, true},
	}
	for _, tt := range tests {
		cmd := exec.Command(bin, tt.args...)
		cmd.Stdin = bytes.NewReader(tt.stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		exit := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			exit = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("run sidguard %s: %v", strings.Join(tt.args, " "), err)
		}
		if exit != tt.exit {
			t.Errorf("sidguard %s: exit %d; want %d\nstderr: %s", strings.Join(tt.args, " "), exit, tt.exit, stderr.String())
		}
		if got := stdout.Len() > 0; got != tt.wantStdout {
			t.Errorf("sidguard %s: output on stdout = %v; want %v\nstdout: %s", strings.Join(tt.args, " "), got, tt.wantStdout, stdout.String())
		}
		if tt.exit == 2 && stderr.Len() == 0 {
			t.Errorf("sidguard %s: exit 2 with nothing on stderr", strings.Join(tt.args, " "))
		}
	}
}

// buildSidguard builds the sidguard binary into a temporary directory and returns its path.
func buildSidguard(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sidguard")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
