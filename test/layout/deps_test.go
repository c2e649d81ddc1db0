package layout

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/source-identity-guard/source-identity-guard"

// deps lists every package that the given packages link (go list -deps), from the module root.
func deps(t *testing.T, pkgs ...string) []string {
	t.Helper()
	args := append([]string{"list", "-deps"}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %v: %v\n%s", pkgs, err, stderr)
	}
	return strings.Fields(string(out))
}

func TestFunctionsDoNotLinkHarness(t *testing.T) {
	t.Parallel()
	all := deps(t, "./functions/...")
	if len(all) == 0 {
		t.Fatal("go list printed no packages for ./functions/...")
	}
	for _, p := range all {
		if strings.HasPrefix(p, module+"/shared/harness") {
			t.Errorf("a Lambda binary links the test harness package %s", p)
		}
	}
}

func TestPurePackagesDoNotLinkAWSSDK(t *testing.T) {
	t.Parallel()
	pure := []string{"./shared/trustpolicy", "./shared/cloudtrail", "./shared/emf", "./shared/sarif", "./shared/linediff",
		"./shared/readiness", "./shared/trailrecord", "./shared/sessiontrail", "./shared/trailfiles", "./shared/collector",
		"./shared/revert", "./shared/credprocess", "./shared/callerpolicy", "./shared/iaclint", "./shared/htmlreport"}
	for _, pkg := range pure {
		found := false
		for _, p := range deps(t, pkg) {
			if p == module+strings.TrimPrefix(pkg, ".") {
				found = true
			}
			if strings.HasPrefix(p, "github.com/aws/aws-sdk-go-v2") || strings.HasPrefix(p, "github.com/aws/smithy-go") {
				t.Errorf("%s links the AWS SDK package %s", pkg, p)
			}
		}
		if !found {
			t.Errorf("go list -deps %s did not list the package itself", pkg)
		}
	}
}
