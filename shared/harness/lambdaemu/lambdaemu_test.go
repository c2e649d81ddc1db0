package lambdaemu_test

import (
	"context"
	"encoding/json"
	"strconv"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
)

func TestEmulatorRunsTheBootstrap(t *testing.T) {
	boot := lambdaemu.BuildFunction(t, "./shared/harness/lambdaemu/testdata/echo")
	emu := lambdaemu.Start(t, lambdaemu.Config{Bootstrap: boot, Env: []string{"GREETING=hello"}})
	ctx := context.Background()

	if got := emu.RuntimePID(); got != 0 {
		t.Errorf("RuntimePID() before the first invoke = %d; want 0 (the emulator starts the function on demand)", got)
	}
	for i := range 3 {
		inv, err := emu.Invoke(ctx, []byte(`{"n":`+strconv.Itoa(i)+`}`))
		if err != nil {
			t.Fatalf("Invoke #%d: %v", i, err)
		}
		var got map[string]any
		if err := json.Unmarshal(inv.Payload, &got); err != nil {
			t.Fatalf("Invoke #%d payload %q: %v", i, inv.Payload, err)
		}
		want := map[string]any{"event": map[string]any{"n": float64(i)}, "greeting": "hello"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Invoke #%d payload mismatch (-want +got):\n%s", i, diff)
		}
		if inv.Latency <= 0 {
			t.Errorf("Invoke #%d latency = %v; want > 0", i, inv.Latency)
		}
	}
	if got := len(emu.InitDurations()); got != 1 {
		t.Errorf("InitDurations() has %d entries after 3 invokes; want 1 (one cold start)\n%s", got, emu.Output())
	}
	pid := emu.RuntimePID()
	if pid == 0 {
		t.Fatalf("RuntimePID() = 0 after invokes; want the bootstrap's pid")
	}
	rss, err := emu.PeakRSS()
	if err != nil {
		t.Fatalf("PeakRSS: %v", err)
	}
	if rss < 1<<20 || rss > 1<<30 {
		t.Errorf("PeakRSS() = %d bytes; want a plausible process size (1 MiB..1 GiB)", rss)
	}

	if err := emu.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("function process %d still exists after Stop", pid)
	}
}

func TestEmulatorReportsHandlerErrors(t *testing.T) {
	boot := lambdaemu.BuildFunction(t, "./shared/harness/lambdaemu/testdata/echo")
	emu := lambdaemu.Start(t, lambdaemu.Config{Bootstrap: boot})
	inv, err := emu.Invoke(context.Background(), []byte(`{"fail":true}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if got, want := lambdaemu.FunctionError(inv.Payload), "errorString: asked to fail"; got != want {
		t.Errorf("FunctionError(%s) = %q; want %q", inv.Payload, got, want)
	}
	if got, want := inv.Failure(), "errorString: asked to fail"; inv.Status != 200 || got != want {
		t.Errorf("handler error: status %d, Failure() = %q; want 200, %q", inv.Status, got, want)
	}
	if got := lambdaemu.FunctionError([]byte(`{"decision":"compliant"}`)); got != "" {
		t.Errorf("FunctionError(success payload) = %q; want empty", got)
	}
}

func TestFunctionDoesNotInheritTheCallersEnvironment(t *testing.T) {
	t.Setenv("GREETING", "from the caller")
	boot := lambdaemu.BuildFunction(t, "./shared/harness/lambdaemu/testdata/echo")
	emu := lambdaemu.Start(t, lambdaemu.Config{Bootstrap: boot})
	inv, err := emu.Invoke(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var got struct{ Greeting string }
	if err := json.Unmarshal(inv.Payload, &got); err != nil {
		t.Fatalf("payload %q: %v", inv.Payload, err)
	}
	if got.Greeting != "" {
		t.Errorf("function saw GREETING=%q from the caller's environment; want it unset", got.Greeting)
	}
}

func TestEmulatorReportsFunctionsThatCannotStart(t *testing.T) {
	boot := lambdaemu.BuildFunction(t, "./shared/harness/lambdaemu/testdata/echo")
	emu := lambdaemu.Start(t, lambdaemu.Config{Bootstrap: boot, Env: []string{"EXIT_AT_START=3"}})
	inv, err := emu.Invoke(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if inv.Status == 200 || inv.Failure() == "" {
		t.Errorf("function exiting at start: status %d, Failure() %q; want a non-200 status and a failure", inv.Status, inv.Failure())
	}
}
