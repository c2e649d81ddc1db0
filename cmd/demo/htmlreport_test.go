package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// The demo's report: one row per role, the guard's own (skipped) write does not hide the
// patch before it, and the path is printed.
func TestWriteHTMLReport(t *testing.T) {
	arn := "arn:aws:iam::" + account + ":role/app-deployer"
	results := []result{
		{step: step{role: role{name: "app-deployer"}}, outcome: guard.Outcome{Role: "app-deployer", RoleARN: arn, Account: account,
			Decision: guard.Patched, Reason: "trust policy patched to require a source identity", Mode: guard.ModeRequire,
			Findings: []trustpolicy.Finding{{Code: trustpolicy.CodeMissingCondition, Message: "statement 0 lets the account assume the role without a source identity"}}}},
		{step: step{role: role{name: "vendor-readonly", path: "/vendor/"}}, outcome: guard.Outcome{Role: "vendor-readonly",
			RoleARN: "arn:aws:iam::" + account + ":role/vendor/vendor-readonly", Account: account, Decision: guard.Exempt, Reason: "tag", Mode: guard.ModeRequire}},
		{step: step{role: role{name: "app-deployer"}}, outcome: guard.Outcome{Role: "app-deployer", Account: account,
			Decision: guard.Skipped, Reason: "the guard's own change"}},
	}
	var out bytes.Buffer
	if err := writeHTMLReport(&out, results, "require"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), demoReportPath) {
		t.Errorf("the demo does not print the report's path: %q", out.String())
	}
	page, err := os.ReadFile(demoReportPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("from 1 input: 2 scan records.")) {
		t.Errorf("the demo's report does not count one record per role")
	}
	// Account 123456789012 (moto's): 2 judged, 0 open; app-deployer counted as requiring.
	if !bytes.Contains(page, []byte(`<th scope="row">`+account+`</th><td class="n">2</td><td class="n">0</td><td class="n">1 (50.0%)</td>`)) {
		t.Errorf("the demo's report does not show its account with 2 roles judged, 0 open, 1 requiring")
	}
}
