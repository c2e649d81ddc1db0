package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// cliCase is one run of the CLI. stdin names a file in testdata whose content is piped in
// ("" pipes nothing).
type cliCase struct {
	name  string
	args  []string
	stdin string
	exit  int
}

var cliCases = []cliCase{
	// check: exit 0, 1, 2
	{"check-compliant", []string{"check", "testdata/policy-compliant.json"}, "", exitOK},
	{"check-service-only", []string{"check", "testdata/policy-service.json"}, "", exitOK},
	{"check-aws", []string{"check", "testdata/policy-aws.json"}, "", exitFindings},
	{"check-aws-json", []string{"check", "--format", "json", "testdata/policy-aws.json"}, "", exitFindings},
	{"check-compliant-json", []string{"check", "--format=json", "testdata/policy-compliant.json"}, "", exitOK},
	{"check-stdin", []string{"check"}, "policy-aws.json", exitFindings},
	{"check-stdin-dash", []string{"check", "-"}, "policy-aws.json", exitFindings},
	{"check-flags-after-file", []string{"check", "testdata/policy-allow-only.json", "--mode", "allow"}, "", exitOK},
	{"check-allow-only-require", []string{"check", "testdata/policy-allow-only.json"}, "", exitFindings},
	{"check-mixed", []string{"check", "testdata/policy-mixed.json"}, "", exitFindings},
	{"check-wildcard", []string{"check", "testdata/policy-wildcard.json"}, "", exitFindings},
	{"check-deny-conflict", []string{"check", "testdata/policy-deny-conflict.json"}, "", exitFindings},
	{"check-saml-ignored", []string{"check", "testdata/policy-saml.json"}, "", exitOK},
	{"check-saml-opted-in", []string{"check", "--federated", "arn:aws:iam::*:saml-provider/Okta", "testdata/policy-saml.json"}, "", exitFindings},
	{"check-pattern-comma", []string{"check", "--pattern", "*@example.com,ci-*", "testdata/policy-allow-only.json"}, "", exitFindings},
	{"check-get-role-object", []string{"check", "testdata/get-role-object.json"}, "", exitFindings},
	{"check-get-role-encoded", []string{"check", "testdata/get-role-encoded.json"}, "", exitFindings},
	{"check-get-role-raw", []string{"check", "testdata/get-role-raw.json"}, "", exitFindings},
	{"check-get-role-encoded-stdin", []string{"check", "--format", "json"}, "get-role-encoded.json", exitFindings},
	{"check-get-role-plus", []string{"check", "testdata/get-role-plus.json"}, "", exitOK},
	{"fix-get-role-plus", []string{"fix", "testdata/get-role-plus.json"}, "", exitOK}, // '+' stays '+'
	{"check-cloudtrail-event", []string{"check", "../../events/update-assume-role-policy.json"}, "", exitFindings},
	{"check-cloudtrail-unrelated", []string{"check", "../../events/unrelated-iam-event.json"}, "", exitUsage},
	{"check-missing-file", []string{"check", "testdata/no-such-file.json"}, "", exitUsage},
	{"check-directory", []string{"check", "testdata"}, "", exitUsage},
	{"check-not-json", []string{"check", "testdata/not-json.yaml"}, "", exitUsage},
	{"check-empty-stdin", []string{"check"}, "", exitUsage},
	{"check-malformed", []string{"check", "testdata/policy-malformed.json"}, "", exitUsage},
	{"check-list-roles", []string{"check", "testdata/list-roles.json"}, "", exitUsage},
	{"check-bad-mode", []string{"check", "--mode", "maybe", "testdata/policy-aws.json"}, "", exitUsage},
	{"check-bad-format", []string{"check", "--format", "yaml", "testdata/policy-aws.json"}, "", exitUsage},
	{"check-bad-size-limit", []string{"check", "--size-limit", "99999", "testdata/policy-aws.json"}, "", exitUsage},
	{"check-bad-pattern", []string{"check", "--pattern", "aws:x", "testdata/policy-aws.json"}, "", exitUsage},
	{"check-unknown-flag", []string{"check", "--strict", "testdata/policy-aws.json"}, "", exitUsage},
	{"check-two-files", []string{"check", "testdata/policy-aws.json", "testdata/policy-compliant.json"}, "", exitUsage},
	{"check-help", []string{"check", "--help"}, "", exitOK},
	{"check-partial-wildcard", []string{"check", "testdata/policy-partial-wildcard.json"}, "", exitUsage},
	{"check-any-account", []string{"check", "testdata/policy-any-account.json"}, "", exitFindings},
	{"check-wildcard-notaction", []string{"check", "testdata/policy-wildcard-notaction.json"}, "", exitFindings},
	{"check-too-large", []string{"check", "testdata/policy-near-quota.json"}, "", exitFindings},
	{"check-too-large-json", []string{"check", "--format", "json", "testdata/policy-near-quota.json"}, "", exitFindings},

	// fix: exit 0 (the printed policy is compliant), 1 (partly fixed or refused: findings for a
	// person remain; the policy is still printed), 2 (nothing on stdout)
	{"fix-aws", []string{"fix", "testdata/policy-aws.json"}, "", exitOK},
	{"fix-aws-allow", []string{"fix", "--mode", "allow", "testdata/policy-aws.json"}, "", exitOK},
	{"fix-aws-indent", []string{"fix", "testdata/policy-aws.json", "--indent"}, "", exitOK},
	{"fix-mixed", []string{"fix", "testdata/policy-mixed.json"}, "", exitOK},
	{"fix-pattern", []string{"fix", "--pattern", "*@example.com", "--pattern", "ci-*", "testdata/policy-aws.json"}, "", exitOK},
	{"fix-compliant", []string{"fix", "testdata/policy-compliant.json"}, "", exitOK},
	{"fix-html-chars", []string{"fix", "testdata/policy-html-chars.json"}, "", exitOK},
	{"fix-stdin-get-role", []string{"fix"}, "get-role-encoded.json", exitOK},
	{"fix-wildcard", []string{"fix", "testdata/policy-wildcard.json"}, "", exitFindings},
	{"fix-deny-conflict", []string{"fix", "testdata/policy-deny-conflict.json"}, "", exitFindings},
	{"fix-too-large", []string{"fix", "testdata/policy-near-quota.json"}, "", exitFindings},
	{"fix-deleted-principal", []string{"fix", "testdata/policy-deleted-principal.json"}, "", exitOK},
	{"fix-saml-opted-in", []string{"fix", "--federated", "arn:aws:iam::111122223333:saml-provider/*", "testdata/policy-saml.json"}, "", exitOK},
	{"fix-any-account", []string{"fix", "testdata/policy-any-account.json"}, "", exitOK},
	{"fix-partial-wildcard", []string{"fix", "testdata/policy-partial-wildcard.json"}, "", exitUsage},
	{"fix-malformed", []string{"fix", "testdata/policy-malformed.json"}, "", exitUsage},
	{"fix-not-json", []string{"fix"}, "not-json.yaml", exitUsage},
	{"fix-bad-mode", []string{"fix", "--mode", "audit", "testdata/policy-aws.json"}, "", exitUsage},

	// explain
	{"explain-mixed", []string{"explain", "testdata/policy-mixed.json"}, "", exitOK},
	{"explain-mixed-json", []string{"explain", "--format", "json", "testdata/policy-mixed.json"}, "", exitOK},
	{"explain-compliant", []string{"explain", "testdata/policy-compliant.json"}, "", exitOK},
	{"explain-wildcard", []string{"explain", "testdata/policy-wildcard.json"}, "", exitOK},
	{"explain-saml", []string{"explain", "testdata/policy-saml.json"}, "", exitOK},
	{"explain-stdin", []string{"explain", "-"}, "get-role-raw.json", exitOK},
	{"explain-malformed", []string{"explain", "testdata/policy-malformed.json"}, "", exitUsage},
	{"explain-any-account", []string{"explain", "testdata/policy-any-account.json"}, "", exitOK},
	{"explain-any-account-json", []string{"explain", "--format", "json", "testdata/policy-any-account.json"}, "", exitOK},
	{"explain-wildcard-notaction", []string{"explain", "testdata/policy-wildcard-notaction.json"}, "", exitOK},

	// top level
	{"no-args", nil, "", exitUsage},
	{"help", []string{"help"}, "", exitOK},
	{"help-flag", []string{"--help"}, "", exitOK},
	{"help-fix", []string{"help", "fix"}, "", exitOK},
	{"help-unknown", []string{"help", "scan2"}, "", exitUsage},
	{"unknown-subcommand", []string{"lint2", "testdata/policy-aws.json"}, "", exitUsage},
}

func runCase(t *testing.T, c cliCase) (stdout, stderr string, exit int) {
	t.Helper()
	var in []byte
	if c.stdin != "" {
		var err error
		if in, err = os.ReadFile(filepath.Join("testdata", c.stdin)); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	exit = run(c.args, bytes.NewReader(in), &out, &errOut)
	return out.String(), errOut.String(), exit
}

// TestRun runs every case in process and compares stdout, stderr and the exit code with
// testdata/golden/<case>.golden (go test -update rewrites them; the exit codes in the table
// are checked independently of the golden files).
func TestRun(t *testing.T) {
	for _, c := range cliCases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, exit := runCase(t, c)
			if exit != c.exit {
				t.Errorf("sidguard %s: exit %d; want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(c.args, " "), exit, c.exit, stdout, stderr)
			}
			if exit == exitUsage && stdout != "" && !strings.HasPrefix(c.name, "help") {
				t.Errorf("sidguard %s: exit 2 with output on stdout:\n%s", strings.Join(c.args, " "), stdout)
			}
			if c.args != nil && c.args[0] == "fix" && exit == exitOK && !strings.HasSuffix(stdout, "\n") {
				t.Errorf("sidguard %s: output does not end with a newline", strings.Join(c.args, " "))
			}
			got := golden(c, stdout, stderr, exit)
			path := filepath.Join("testdata", "golden", c.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
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
}

// TestGoldenFilesUsed fails on golden files no case produces (left over from a renamed case).
func TestGoldenFilesUsed(t *testing.T) {
	names := map[string]bool{}
	for _, c := range cliCases {
		if names[c.name] {
			t.Errorf("duplicate case name %q", c.name)
		}
		names[c.name] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".golden"); !names[name] {
			t.Errorf("%s belongs to no case in cliCases", f)
		}
	}
}

func golden(c cliCase, stdout, stderr string, exit int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ sidguard %s", strings.Join(c.args, " "))
	if c.stdin != "" {
		fmt.Fprintf(&b, " < testdata/%s", c.stdin)
	}
	fmt.Fprintf(&b, "\nexit %d\n-- stdout --\n%s-- stderr --\n%s", exit, stdout, stderr)
	return b.String()
}

// TestFixOutput checks what fix prints, beyond the golden bytes: it is a policy the engine
// parses, it has no fixable finding left, and fixing it again changes nothing.
func TestFixOutput(t *testing.T) {
	for _, c := range cliCases {
		if c.args == nil || c.args[0] != "fix" || c.exit == exitUsage {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			stdout, _, _ := runCase(t, c)
			doc, err := trustpolicy.Parse([]byte(stdout))
			if err != nil {
				t.Fatalf("sidguard %s printed a policy the engine rejects: %v\n%s", strings.Join(c.args, " "), err, stdout)
			}
			if c.exit == exitOK && !contains(c.args, "--mode") && !contains(c.args, "--size-limit") && !contains(c.args, "--pattern") && !contains(c.args, "--federated") {
				for _, f := range trustpolicy.Check(doc, trustpolicy.Rules{}) {
					if f.Code.Fixable() {
						t.Errorf("sidguard %s left a fixable finding: %s", strings.Join(c.args, " "), findingLine(f))
					}
				}
			}
			// Idempotence through the CLI: fix(fix(x)) == fix(x), flags kept.
			var args []string // the same flags, input from stdin
			for _, a := range c.args {
				if !strings.HasSuffix(a, ".json") || strings.HasPrefix(a, "arn:") {
					args = append(args, a)
				}
			}
			var again, errOut bytes.Buffer
			if exit := run(args, strings.NewReader(stdout), &again, &errOut); exit != c.exit {
				t.Fatalf("sidguard %s on its own output: exit %d, want %d as the first time: %s", strings.Join(args, " "), exit, c.exit, errOut.String())
			}
			if again.String() != stdout {
				t.Errorf("sidguard %s is not idempotent:\nfirst:  %s\nsecond: %s", strings.Join(c.args, " "), stdout, again.String())
			}
			// fix exits as check does on the policy fix printed (same flags but fix's own).
			checkArgs := []string{"check"}
			for _, a := range args[1:] {
				if a != "--indent" {
					checkArgs = append(checkArgs, a)
				}
			}
			var checkOut bytes.Buffer
			errOut.Reset()
			if exit := run(checkArgs, strings.NewReader(stdout), &checkOut, &errOut); exit != c.exit {
				t.Errorf("sidguard %s exits %d but sidguard %s on its output exits %d:\n%s%s", strings.Join(c.args, " "), c.exit, strings.Join(checkArgs, " "), exit, checkOut.String(), errOut.String())
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s || strings.HasPrefix(v, s+"=") {
			return true
		}
	}
	return false
}

// TestInputForms checks that every way of handing over the same policy gives the same
// findings: a bare policy, get-role output with the document as an object, as raw JSON text
// or URL-encoded, from a file or stdin.
func TestInputForms(t *testing.T) {
	want, _, exit := runCase(t, cliCase{args: []string{"check", "--format", "json"}, stdin: "policy-aws.json"})
	if exit != exitFindings {
		t.Fatalf("check policy-aws.json: exit %d; want %d", exit, exitFindings)
	}
	for _, stdin := range []string{"get-role-object.json", "get-role-encoded.json", "get-role-raw.json"} {
		got, stderr, exit := runCase(t, cliCase{args: []string{"check", "--format", "json"}, stdin: stdin})
		if exit != exitFindings {
			t.Errorf("check < %s: exit %d; want %d (%s)", stdin, exit, exitFindings, stderr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("check < %s differs from check < policy-aws.json (-want +got):\n%s", stdin, diff)
		}
	}
}
