package motoserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/toolcheck"
)

// Start starts a moto_server for one test and stops it in t.Cleanup. When moto_server is not on
// PATH it skips the test with a loud message, or fails it with an install hint when CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	srv, err := Run(context.Background())
	if err != nil {
		missing(t, err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("%v", err)
		}
	})
	return srv
}

var shared struct {
	mu      sync.Mutex
	managed bool // RunTests is in charge of the shared server's life
	srv     *Server
	err     error
}

// RunTests runs the package's tests and then stops the server Shared started, if any. Call it
// from TestMain: os.Exit(motoserver.RunTests(m)).
func RunTests(m *testing.M) int {
	shared.mu.Lock()
	shared.managed = true
	shared.mu.Unlock()

	code := m.Run()

	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			os.Stderr.WriteString("motoserver: " + err.Error() + "\n")
			if code == 0 {
				code = 1
			}
		}
		shared.srv = nil
	}
	return code
}

// Shared returns the test package's shared server, started on first use, with its state wiped
// (Reset), so each test begins with an empty emulator. Tests that use it must not run in
// parallel with each other. Without RunTests in TestMain it falls back to Start(t). When
// moto_server is missing it behaves like Start.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.mu.Lock()
	if !shared.managed {
		shared.mu.Unlock()
		return Start(t)
	}
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = Run(context.Background())
	}
	srv, err := shared.srv, shared.err
	shared.mu.Unlock()
	if err != nil {
		missing(t, err)
	}
	if err := srv.Reset(); err != nil {
		t.Fatalf("%v\n%s", err, srv.Output())
	}
	return srv
}

// Require skips the test (or fails it when CI=true) unless moto_server is on PATH. Start and
// Shared already do this; Require is for tests that call Run themselves.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath(Binary); err != nil {
		missing(t, fmt.Errorf("start %s: %w", Binary, ErrNotInstalled))
	}
}

// missing ends the test when the server could not be started.
func missing(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("%v", err)
	}
	toolcheck.Missing(t, fmt.Sprintf("integration test needs moto_server: %v", err), InstallHint)
}
