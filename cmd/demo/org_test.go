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

// The demo's organization step: the member account's role is patched through the hub, once
// assumed, with the guard's source identity, and nothing is written in the hub's account.
func TestDemoOrganizationStep(t *testing.T) {
	motoserver.Require(t)
	rie := lambdaemu.RequireRIE(t)
	boot := lambdaemu.BuildFunction(t, "./functions/enforce")
	moto := motoserver.Start(t)
	var out, log bytes.Buffer
	logf := func(f string, a ...any) { log.WriteString(f) }
	if err := orgDemo(context.Background(), &out, logf, moto, boot, rie, "require"); err != nil {
		t.Fatalf("orgDemo: %v\n%s", err, out.String())
	}
	s := out.String()
	if !regexp.MustCompile(`payments-deployer in [0-9]{12}: patched \(account [0-9]{12}, published true\)`).MatchString(s) {
		t.Errorf("no patched line:\n%s", s)
	}
	if !strings.Contains(s, `sts:AssumeRole calls: 1, source identity "source-identity-guard"; nothing written in the hub's account (no role of that name there): true`) ||
		!strings.Contains(s, `"sts:SetSourceIdentity"`) {
		t.Errorf("organization step output:\n%s", s)
	}
}
