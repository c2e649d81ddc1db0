package credprocess

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCallersPurePackagesDoNotLinkAWSSDK keeps the callers' pure packages free of the AWS SDK
// (test/layout checks the engine's the same way).
func TestCallersPurePackagesDoNotLinkAWSSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, pkg := range []string{"../credprocess", "../callerpolicy", "../iaclint"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			t.Fatalf("go list -deps %s listed nothing", pkg)
		}
		for _, d := range deps {
			if strings.HasPrefix(d, "github.com/aws/") {
				t.Errorf("%s links %s", pkg, d)
			}
		}
	}
}
