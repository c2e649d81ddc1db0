package browser

import (
	"context"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/toolcheck"
)

// Require starts a browser for one test and closes it in t.Cleanup. Without Chromium it skips
// the test, or fails it on CI (toolcheck.Missing).
func Require(t testing.TB) *Browser {
	t.Helper()
	path, err := Find()
	if err != nil {
		toolcheck.Missing(t, err.Error(), InstallHint)
	}
	b, err := Start(context.Background(), path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close browser: %v", err)
		}
	})
	return b
}
