package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// callersCases are the golden runs of credentials, caller-policy and lint, kept apart from
// cliCases (testdata/golden-callers; go test -update rewrites them too).
var callersCases = []cliCase{
	{"help-credentials", []string{"help", "credentials"}, "", exitOK},
	{"help-caller-policy", []string{"help", "caller-policy"}, "", exitOK},
	{"help-lint", []string{"help", "lint"}, "", exitOK},
	{"caller-policy-user", []string{"caller-policy", "--role-arn", "arn:aws:iam::111122223333:role/deployer,arn:aws:iam::444455556666:role/audit-*"}, "", exitOK},
	{"caller-policy-role-session", []string{"caller-policy", "--for", "role-session", "--tag-key", "email", "--role-arn", "arn:aws:iam::111122223333:role/deployer"}, "", exitOK},
	{"caller-policy-no-role", []string{"caller-policy"}, "", exitUsage},
	{"caller-policy-bad-role", []string{"caller-policy", "--role-arn", "deployer"}, "", exitUsage},
	{"caller-policy-tag-key-for-user", []string{"caller-policy", "--tag-key", "x", "--role-arn", "arn:aws:iam::111122223333:role/deployer"}, "", exitUsage},
	{"caller-policy-check-guide", []string{"caller-policy", "--check", "testdata/callers/identity-guide-example.json"}, "", exitOK},
	{"caller-policy-check-guide-json", []string{"caller-policy", "--format", "json", "--check", "testdata/callers/identity-guide-example.json"}, "", exitOK},
	{"caller-policy-check-any-value", []string{"caller-policy", "--check", "testdata/callers/identity-any-value.json"}, "", exitFindings},
	{"caller-policy-check-assume-only", []string{"caller-policy", "--check", "-", "--role-arn", "arn:aws:iam::111122223333:role/deployer"}, "callers/identity-assume-only.json", exitFindings},
	{"caller-policy-check-permission-set", []string{"caller-policy", "--check", "testdata/callers/identity-permission-set.json", "--for", "role-session"}, "", exitOK},
	{"caller-policy-check-permission-set-as-user", []string{"caller-policy", "--check", "testdata/callers/identity-permission-set.json"}, "", exitFindings},
	{"caller-policy-check-together", []string{"caller-policy", "--check", "testdata/callers/identity-guide-example.json", "--check", "testdata/callers/identity-any-value.json", "--role-arn", "arn:aws:iam::123456789012:role/deploy-x"}, "", exitFindings},
	{"caller-policy-check-trust-policy", []string{"caller-policy", "--check", "testdata/policy-aws.json"}, "", exitUsage},
	{"caller-policy-check-missing", []string{"caller-policy", "--check", "testdata/callers/none.json"}, "", exitUsage},
	{"lint-fixtures", []string{"lint", "../../shared/iaclint/testdata"}, "", exitFindings},
	{"lint-mode-allow", []string{"lint", "../../shared/iaclint/testdata/tfplan-planned.json", "../../shared/iaclint/testdata/template.json", "--mode", "allow"}, "", exitFindings},
	{"lint-no-path", []string{"lint"}, "", exitUsage},
	{"credentials-no-role", []string{"credentials"}, "", exitUsage},
	{"credentials-bad-duration", []string{"credentials", "--role-arn", "arn:aws:iam::111122223333:role/deployer", "--duration", "13h"}, "", exitUsage},
}

func TestCallersGolden(t *testing.T) {
	names := map[string]bool{}
	for _, c := range callersCases {
		names[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, exit := runCase(t, c)
			if exit != c.exit {
				t.Errorf("sidguard %s: exit %d; want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(c.args, " "), exit, c.exit, stdout, stderr)
			}
			got := golden(c, stdout, stderr, exit)
			path := filepath.Join("testdata", "golden-callers", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("sidguard %s: output differs from %s (-want +got):\n%s", strings.Join(c.args, " "), path, diff)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "golden-callers", "*.golden"))
	for _, f := range files {
		if !names[strings.TrimSuffix(filepath.Base(f), ".golden")] {
			t.Errorf("%s belongs to no case in callersCases", f)
		}
	}
}
