package lambdaemu

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/toolcheck"
)

// BuildFunction builds pkg (see Build) into a temporary directory of t and returns the
// bootstrap's path. A build error fails the test.
func BuildFunction(t testing.TB, pkg string) string {
	t.Helper()
	requireLinux(t)
	boot, err := Build(context.Background(), pkg, t.TempDir())
	if err != nil {
		t.Fatalf("%v", err)
	}
	return boot
}

// Start runs the emulator with cfg for one test and stops it in t.Cleanup. When the emulator
// is missing and cannot be installed (no Go module proxy), it skips the test loudly, or fails
// it with an install hint when CI=true. On failure the emulator's output is logged.
func Start(t testing.TB, cfg Config) *Emulator {
	t.Helper()
	if cfg.RIE == "" {
		cfg.RIE = RequireRIE(t)
	}
	e, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Errorf("%v", err)
		}
		if t.Failed() {
			t.Logf("emulator output:\n%s", e.Output())
		}
	})
	return e
}

// RequireRIE returns the emulator (EnsureRIE). When it is missing and cannot be installed it
// skips the test loudly, or fails it with an install hint when CI=true.
func RequireRIE(t testing.TB) string {
	t.Helper()
	requireLinux(t)
	p, err := EnsureRIE(context.Background())
	if err != nil {
		missing(t, err)
	}
	return p
}

func missing(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("%v", err)
	}
	toolcheck.Missing(t, fmt.Sprintf("the Lambda Runtime Interface Emulator is not available: %v", err), InstallHint)
}

func requireLinux(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("SKIPPING: the Lambda Runtime Interface Emulator runs Linux binaries only (GOOS=%s)", runtime.GOOS)
	}
}
