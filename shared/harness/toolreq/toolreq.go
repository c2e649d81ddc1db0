// Package toolreq is the test helper for "this test needs a tool the machine may lack": it
// skips the test loudly on a developer's machine and fails it on CI (CI=true), where .ci/run
// installs the tool, so that a missing install step cannot pass as a green run.
package toolreq

import (
	"os"
	"testing"
)

// OnCI reports whether the tests run on CI (CI=true, as .ci/run sets it).
func OnCI() bool { return os.Getenv("CI") == "true" }

// Missing ends the test because what is missing: a skip with the hint locally, a failure on CI.
func Missing(t testing.TB, what, hint string) {
	t.Helper()
	if OnCI() {
		t.Fatalf("%s (CI=true: .ci/run must install it)\n%s", what, hint)
		return // Fatalf does not return; a fake testing.TB might
	}
	t.Skipf("SKIPPING: %s\n%s", what, hint)
}
