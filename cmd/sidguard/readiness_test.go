package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
)

const trailFixtures = "testdata/cloudtrail"

// evidenceCases are the readiness and trail runs; their golden files live in
// testdata/golden/evidence (go test -update rewrites them).
var evidenceCases = []cliCase{
	{"readiness-text", []string{"readiness", "--now", "2026-12-01T00:00:00Z", trailFixtures}, "", exitFindings},
	{"readiness-json", []string{"readiness", "--format", "json", "--now", "2026-12-01T00:00:00Z", trailFixtures}, "", exitFindings},
	{"readiness-sarif", []string{"readiness", "--format", "sarif", "--now", "2026-12-01T00:00:00Z", trailFixtures}, "", exitFindings},
	{"readiness-ready", []string{"readiness", "--window", "2", "--now", "2026-11-29T00:00:00Z", trailFixtures}, "", exitOK},
	{"readiness-gzip-file", []string{"readiness", "--format=json", "--now", "2026-12-01T00:00:00Z",
		trailFixtures + "/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/30/111122223333_CloudTrail_eu-west-1_20261130T1600Z_fixture02.json.gz"}, "", exitFindings},
	{"readiness-no-path", []string{"readiness", "--now", "2026-12-01T00:00:00Z"}, "", exitUsage},
	{"readiness-missing-path", []string{"readiness", "testdata/no-such-folder"}, "", exitUsage},
	{"readiness-not-trail", []string{"readiness", "testdata/policy-aws.json"}, "", exitUsage},
	{"readiness-bad-window", []string{"readiness", "--window", "0", trailFixtures}, "", exitUsage},
	{"readiness-bad-now", []string{"readiness", "--now", "yesterday", trailFixtures}, "", exitUsage},
	{"readiness-bad-format", []string{"readiness", "--format", "xml", trailFixtures}, "", exitUsage},
	{"readiness-help", []string{"help", "readiness"}, "", exitOK},
	{"trail-text", []string{"trail", "--source-identity", "alice", trailFixtures}, "", exitOK},
	{"trail-json", []string{"trail", "--format", "json", "--source-identity", "alice", trailFixtures}, "", exitOK},
	{"trail-none", []string{"trail", "--source-identity", "nobody", trailFixtures}, "", exitOK},
	{"trail-no-value", []string{"trail", trailFixtures}, "", exitUsage},
	{"trail-bad-value", []string{"trail", "--source-identity", "two words", trailFixtures}, "", exitUsage},
	{"trail-no-path", []string{"trail", "--source-identity", "alice"}, "", exitUsage},
	{"trail-not-trail", []string{"trail", "--source-identity", "alice", "testdata/policy-aws.json"}, "", exitUsage},
	{"trail-help", []string{"help", "trail"}, "", exitOK},
}

func TestEvidenceCommands(t *testing.T) {
	names := map[string]bool{}
	for _, c := range evidenceCases {
		names[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, exit := runCase(t, c)
			if exit != c.exit {
				t.Errorf("sidguard %s: exit %d; want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(c.args, " "), exit, c.exit, stdout, stderr)
			}
			if exit == exitUsage && stdout != "" {
				t.Errorf("sidguard %s: exit 2 with output on stdout:\n%s", strings.Join(c.args, " "), stdout)
			}
			got := golden(c, stdout, stderr, exit)
			path := filepath.Join("testdata", "golden", "evidence", c.name+".golden")
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
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "evidence", "*.golden"))
	for _, f := range files {
		if !names[strings.TrimSuffix(filepath.Base(f), ".golden")] {
			t.Errorf("%s belongs to no case in evidenceCases", f)
		}
	}
}

// TestReadinessJSONContract checks the fields outside checks rely on, per role of the
// fixtures, independently of the golden bytes.
func TestReadinessJSONContract(t *testing.T) {
	stdout, _, exit := runCase(t, cliCase{args: []string{"readiness", "--format", "json", "--now", "2026-12-01T00:00:00Z", trailFixtures}})
	if exit != exitFindings {
		t.Fatalf("exit %d", exit)
	}
	type row struct {
		Assumptions, Without, Console int
		Callers                       []string
		Ready                         bool
	}
	got := map[string]row{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var r readiness.Record
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		var raw map[string]any
		json.Unmarshal(sc.Bytes(), &raw)
		for _, k := range []string{"role", "account", "assumptions", "withoutSourceIdentity", "callersWithoutSourceIdentity", "consoleSessions", "ready", "windowStart", "windowEnd", "callers"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("%s: no %q field", r.Role, k)
			}
		}
		got[r.Role] = row{r.Assumptions, r.WithoutSourceIdentity, r.ConsoleSessions, r.CallersWithoutSourceIdentity, r.Ready}
	}
	want := map[string]row{
		// alice (source identity) and the cross-account build bot (none, twice); the bot's
		// caller-side copy in account 444455556666's trail is not counted again.
		"arn:aws:iam::111122223333:role/ci/deployer": {3, 2, 0, []string{"arn:aws:iam::444455556666:root"}, false},
		// chained from alice's session (inherited) and Terraform (explicit).
		"arn:aws:iam::111122223333:role/reader": {2, 0, 0, []string{}, true},
		// console switch-role: the AWS Internal AssumeRole and the SwitchRole event.
		"arn:aws:iam::111122223333:role/admin":       {1, 1, 1, []string{"arn:aws:iam::444455556666:root"}, false},
		"arn:aws:iam::111122223333:role/saml-admins": {1, 0, 0, []string{}, true},
		"arn:aws:iam::111122223333:role/gha-deploy":  {1, 1, 0, []string{"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}, false},
		// assumed 40 days before --now only.
		"arn:aws:iam::111122223333:role/old": {0, 0, 0, []string{}, true},
		// cross-account from alice's session: the source identity only in the response.
		"arn:aws:iam::444455556666:role/audit": {1, 0, 0, []string{}, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("per-role answers (-want +got):\n%s", diff)
	}
}

// TestTrailJSONContract: every line holds the contract's fields, and alice's events are
// found across the role chain (deployer -> reader) and in the other account (audit).
func TestTrailJSONContract(t *testing.T) {
	stdout, _, exit := runCase(t, cliCase{args: []string{"trail", "--format", "json", "--source-identity", "alice", trailFixtures}})
	if exit != exitOK {
		t.Fatalf("exit %d", exit)
	}
	var got []string
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		for _, k := range []string{"eventID", "eventTime", "eventSource", "eventName", "recipientAccountId"} {
			if s, _ := raw[k].(string); s == "" {
				t.Errorf("line %q: no %q", sc.Text(), k)
			}
		}
		got = append(got, fmt.Sprintf("%s %s %s", raw["recipientAccountId"], raw["eventName"], raw["via"]))
	}
	want := []string{
		"111122223333 AssumeRole request",        // alice sets it (first hop into ci/deployer)
		"111122223333 DescribeInstances session", // as ci/deployer
		"111122223333 AssumeRole session",        // chains into reader
		"111122223333 ListBuckets session",       // as reader
		"444455556666 AssumeRole response",       // the audit role's owner sees the inherited value
		"444455556666 LookupEvents session",      // as audit, in the other account
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
}
