// Package toolcheck is the one place for "skip locally, fail on CI" in the project's tests: a
// test that needs an outside tool (moto_server, the Lambda emulator, cfn-lint,
// aws-sam-translator) calls Missing when the tool is absent. On a developer machine the test is
// skipped with the reason and how to get the tool; when CI=true it fails, so CI never passes by
// skipping.
package toolcheck

import (
	"os"
	"testing"
)

// OnCI reports whether the tests run on CI (CI=true).
func OnCI() bool { return os.Getenv("CI") == "true" }

// Missing ends the test because what is missing: a failure on CI, a skip elsewhere. hint says
// how to get it.
func Missing(t testing.TB, what, hint string) {
	t.Helper()
	if OnCI() {
		t.Fatalf("%s (CI=true: this is a failure). %s", what, hint)
		return
	}
	t.Skipf("SKIPPING: %s (set CI=true to make this a failure). %s", what, hint)
}
