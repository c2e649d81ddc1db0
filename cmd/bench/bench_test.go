package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// The benchmark runs end to end and reports every figure (one sample each: this checks that
// `make bench` works, not how fast anything is).
func TestBenchReportsEveryFigure(t *testing.T) {
	motoserver.Require(t)
	lambdaemu.RequireRIE(t)
	var out bytes.Buffer
	if err := run(context.Background(), &out, options{warm: 1, cold: 1, loadBefore: "test"}); err != nil {
		t.Fatalf("run: %v", err)
	}
	report := out.String()
	for _, want := range []string{
		"init (INIT REPORT)", "first invoke, read-only", "first invoke, patch", "warm invoke, read-only",
		"warm invoke, patch", "peak RSS (VmHWM)", "init floor: minimal Go handler", "of which not AWS: read-only", "of which not AWS: patch", "arm64 bootstrap, stripped",
		"compliant role:     iam.GetRole=1\n",
		"non-compliant role: events.PutEvents=1 iam.GetRole=1 iam.UpdateAssumeRolePolicy=1\n",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}
