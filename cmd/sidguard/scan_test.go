package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/estate"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/sarif"
)

// scanMoto starts moto_server and points the SDK's default credential chain at it.
func scanMoto(t *testing.T) *motoserver.Server {
	t.Helper()
	srv := motoserver.Start(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return srv
}

func runScan(t *testing.T, args ...string) (stdout, stderr string, exit int) {
	t.Helper()
	var out, errb bytes.Buffer
	exit = run(append([]string{"scan", "--no-progress"}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), exit
}

func jsonLines(t *testing.T, out string) []scanLine {
	t.Helper()
	var lines []scanLine
	for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &raw); err != nil {
			t.Fatalf("line %d %q: %v", i+1, l, err)
		}
		for _, field := range []string{"role", "arn", "decision", "findings"} {
			if _, ok := raw[field]; !ok {
				t.Fatalf("line %d %q has no %q", i+1, l, field)
			}
		}
		var s scanLine
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatal(err)
		}
		for _, f := range s.Findings {
			if f.Code == "" || f.Message == "" {
				t.Errorf("line %d: finding without code or message: %+v", i+1, f)
			}
		}
		lines = append(lines, s)
	}
	return lines
}

func policies(t *testing.T, srv *motoserver.Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := iam.NewListRolesPaginator(iam.NewFromConfig(srv.AWSConfig()), &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Roles {
			out[aws.ToString(r.RoleName)] = aws.ToString(r.AssumeRolePolicyDocument)
		}
	}
	return out
}

// scanWant is the decision of each estate kind (with --trust-tags): a dry run in audit mode,
// then a fix in require mode. No path is exempt: the roles on the service-linked and Identity
// Center paths that trust an account are judged like any other.
var scanWant = map[string][2]guard.Decision{
	"compliant":            {guard.Compliant, guard.Compliant},
	"open":                 {guard.WouldPatch, guard.Patched},
	"service":              {guard.Compliant, guard.Compliant},
	"mixed":                {guard.WouldPatch, guard.Patched},
	"exempt-tag":           {guard.Exempt, guard.Exempt},
	"mode-allow":           {guard.WouldPatch, guard.Patched},
	"legacy":               {guard.Exempt, guard.Exempt},
	"AWSReservedSSO_Admin": {guard.WouldPatch, guard.Patched},
	"AWSServiceRoleFor":    {guard.WouldPatch, guard.Patched},
	"wildcard":             {guard.Unfixable, guard.Unfixable},
}

func TestScanEstate(t *testing.T) {
	srv := scanMoto(t)
	const n = 240
	if _, err := estate.Create(t.Context(), iam.NewFromConfig(srv.AWSConfig()), n, 8); err != nil {
		t.Fatal(err)
	}
	before := policies(t, srv)
	exempt := "--exempt=" + estate.ExemptPathPattern

	// JSON Lines, dry run: every role once, nothing written, exit 1.
	out, errOut, exit := runScan(t, "--format", "json", exempt, "--trust-tags")
	if exit != exitFindings {
		t.Fatalf("scan --format json: exit %d; want %d\n%s", exit, exitFindings, errOut)
	}
	lines := jsonLines(t, out)
	if len(lines) != n {
		t.Fatalf("scan --format json: %d lines; want %d", len(lines), n)
	}
	nonCompliant := 0
	for _, l := range lines {
		k, _ := estate.KindOf(l.Role)
		if want := scanWant[k.Name][0]; l.Decision != want {
			t.Errorf("dry run: role %s: %s (%s); want %s", l.Role, l.Decision, l.Reason, want)
		}
		if !strings.HasPrefix(l.ARN, "arn:aws:iam::") || !strings.HasSuffix(l.ARN, "/"+l.Role) {
			t.Errorf("role %s: arn %q", l.Role, l.ARN)
		}
		if l.Decision.Publishes() {
			nonCompliant++
			if len(l.Findings) == 0 {
				t.Errorf("role %s (%s) has no findings", l.Role, l.Decision)
			}
		}
	}
	if diff := cmp.Diff(before, policies(t, srv)); diff != "" {
		t.Errorf("scan without --fix changed roles (-before +after):\n%s", diff)
	}

	// SARIF: one result per non-compliant role, located by the role ARN.
	out, errOut, exit = runScan(t, "--format", "sarif", exempt, "--trust-tags")
	if exit != exitFindings {
		t.Fatalf("scan --format sarif: exit %d\n%s", exit, errOut)
	}
	var log sarif.Log
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("SARIF output: %v", err)
	}
	if log.Version != "2.1.0" || log.Schema == "" || len(log.Runs) != 1 {
		t.Fatalf("SARIF version %q schema %q runs %d", log.Version, log.Schema, len(log.Runs))
	}
	rules := map[string]bool{}
	for _, r := range log.Runs[0].Tool.Driver.Rules {
		rules[r.ID] = true
	}
	if got := len(log.Runs[0].Results); got != nonCompliant {
		t.Errorf("SARIF results = %d; want %d", got, nonCompliant)
	}
	for _, r := range log.Runs[0].Results {
		if !rules[r.RuleID] || log.Runs[0].Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result rule %q (index %d) not in the driver's rules", r.RuleID, r.RuleIndex)
		}
		if len(r.Locations) != 1 || len(r.Locations[0].LogicalLocations) != 1 ||
			!strings.HasPrefix(r.Locations[0].LogicalLocations[0].FullyQualifiedName, "arn:aws:iam::") {
			t.Errorf("result locations %+v; want the role ARN as a logical location", r.Locations)
		}
		if r.Message.Text == "" || (r.Level != sarif.LevelWarning && r.Level != sarif.LevelError) {
			t.Errorf("result level %q message %q", r.Level, r.Message.Text)
		}
	}

	// Text: a table and a summary line.
	out, _, exit = runScan(t, exempt, "--trust-tags")
	if exit != exitFindings || !strings.HasPrefix(out, "DECISION") ||
		!strings.Contains(out, fmt.Sprintf("%d roles, mode audit (dry run):", n)) {
		t.Errorf("scan (text): exit %d, output:\n%s", exit, out)
	}
	if got := strings.Count(out, "\n"); got != nonCompliant+2 {
		t.Errorf("scan (text): %d lines; want header + %d rows + summary", got, nonCompliant)
	}

	// --fix in require mode: every fixable role patched; the wildcard roles remain: exit 1.
	out, errOut, exit = runScan(t, "--format", "json", "--fix", "--mode", "require", exempt, "--trust-tags")
	if exit != exitFindings {
		t.Fatalf("scan --fix: exit %d; want %d\n%s", exit, exitFindings, errOut)
	}
	after := policies(t, srv)
	for _, l := range jsonLines(t, out) {
		k, _ := estate.KindOf(l.Role)
		want := scanWant[k.Name][1]
		if l.Decision != want {
			t.Errorf("fix: role %s: %s (%s); want %s", l.Role, l.Decision, l.Reason, want)
		}
		if changed := after[l.Role] != before[l.Role]; changed != (want == guard.Patched) {
			t.Errorf("fix: role %s (%s) changed = %v", l.Role, l.Decision, changed)
		}
	}

	// Nothing left to fix: a second --fix writes nothing.
	out, _, exit = runScan(t, "--fix", "--mode", "require", exempt, "--trust-tags")
	if exit != exitFindings || strings.Contains(out, "patched") || !strings.Contains(out, "unfixable") {
		t.Errorf("second scan --fix: exit %d, output:\n%s", exit, out)
	}
}

func TestScanExitCodes(t *testing.T) {
	srv := scanMoto(t)
	client := iam.NewFromConfig(srv.AWSConfig())
	for i, doc := range []string{estate.PolicyCompliant, estate.PolicyOpen, estate.PolicyService, estate.PolicyMixed} {
		if _, err := client.CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("role-%d", i)),
			AssumeRolePolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args []string
		exit int
	}{
		{[]string{"--mode", "require"}, exitFindings},                // two roles would be patched
		{[]string{"--mode", "require", "--fix"}, exitOK},             // ... and are
		{[]string{"--mode", "require"}, exitOK},                      // every role compliant now
		{[]string{"--mode", "sometimes"}, exitUsage},                 // bad flag
		{[]string{"--format", "yaml"}, exitUsage},                    // bad flag
		{[]string{"--concurrency", "0"}, exitUsage},                  // bad flag
		{[]string{"--pattern", "bad pattern!", "--fix"}, exitUsage},  // rules refused before any call
		{[]string{"--mode", "require", "--format", "json"}, exitOK},  // JSON too
		{[]string{"--mode", "require", "--format", "sarif"}, exitOK}, // and SARIF
	} {
		out, errOut, exit := runScan(t, c.args...)
		if exit != c.exit {
			t.Errorf("scan %q: exit %d; want %d\nstdout:\n%s\nstderr:\n%s", c.args, exit, c.exit, out, errOut)
		}
	}

	// An account that cannot be listed is an error (2), not a finding.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	t.Setenv("AWS_ENDPOINT_URL", closed)
	_, errOut, exit := runScan(t, "--max-attempts", "1")
	if exit != exitUsage || !strings.Contains(errOut, "list roles") {
		t.Errorf("scan against a closed port: exit %d, stderr %q; want %d and the failed call", exit, errOut, exitUsage)
	}
}
