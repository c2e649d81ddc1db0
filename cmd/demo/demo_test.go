package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// The demo, as `make demo` runs it: every role gets the decision the README promises.
func TestDemo(t *testing.T) {
	motoserver.Require(t)
	lambdaemu.RequireRIE(t)
	var out, log bytes.Buffer
	if err := run(context.Background(), &out, options{mode: "require", log: &log}); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	table := out.String()
	for _, row := range []struct{ role, event, decision, calls string }{
		{"app-deployer", "CreateRole", "patched", "events.PutEvents=1 iam.GetRole=1 iam.UpdateAssumeRolePolicy=1"},
		{"orders-api-FunctionRole", "CreateRole", "compliant", "iam.GetRole=1"},
		{"batch-worker", "CreateRole", "patched", "events.PutEvents=1 iam.GetRole=1 iam.UpdateAssumeRolePolicy=1"},
		{"vendor-readonly", "CreateRole", "exempt", "events.PutEvents=1 iam.GetRole=1"}, // every exemption is published
		{"ci-deploy", "UpdateAssumeRolePolicy", "patched", "events.PutEvents=1 iam.GetRole=1 iam.UpdateAssumeRolePolicy=1"},
		{"app-deployer", "UpdateAssumeRolePolicy", "skipped", "none"},
	} {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(row.role) + `\s+` + row.event + `\s.*\s` + row.decision + `\s.*\s` + regexp.QuoteMeta(row.calls) + `\s*$`)
		if !re.MatchString(table) {
			t.Errorf("no row %+v in the demo's output:\n%s", row, table)
		}
	}
	if !strings.Contains(table, "Decision events published on the bus (source source-identity-guard): 4") {
		t.Errorf("want 4 decision events (3 patched roles, 1 exemption):\n%s", table)
	}
	// The mixed statement is split: EC2 keeps its statement, the role gets its own.
	if !strings.Contains(table, `+       "Sid": "TrustEc2AndCiSrcId",`) && !strings.Contains(table, "+       \"Principal\": {") {
		t.Errorf("batch-worker diff does not show a new statement:\n%s", table)
	}
	// Only Jenkins' statement changes in ci-deploy; GitHub's was compliant.
	ci := table[strings.Index(table, "== ci-deploy"):]
	ci = ci[:strings.Index(ci, "\n\n")]
	if !strings.Contains(ci, "+ ") || !strings.Contains(ci, `"sts:SetSourceIdentity"`) {
		t.Errorf("ci-deploy diff does not add sts:SetSourceIdentity:\n%s", ci)
	}
	for _, line := range strings.Split(ci, "\n") {
		if l := strings.TrimSpace(line); (strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "+ ")) && strings.Contains(l, "github-runner") {
			t.Errorf("ci-deploy diff touches the compliant GitHub statement: %q\n%s", line, ci)
		}
	}
}
