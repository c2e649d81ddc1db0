package procgroup_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/procgroup"
)

const grace = 300 * time.Millisecond

func TestStop(t *testing.T) {
	tests := []struct {
		name string
		// script is run by sh; it prints one line once it is ready: its child's pid, or "ready".
		script string
		// wantSignal is the signal that ended the leader.
		wantSignal syscall.Signal
	}{
		{
			name:       "exits on TERM",
			script:     `sleep 60 & echo $!; wait`,
			wantSignal: syscall.SIGTERM,
		},
		{
			name:       "ignores TERM: KILLed after the grace period",
			script:     `trap '' TERM; sleep 60 & echo $!; wait`,
			wantSignal: syscall.SIGKILL,
		},
		{
			name: "leader exits on TERM, its child ignores TERM: the child is KILLed",
			// The inner shell ignores TERM, says its pid and execs sleep, which keeps ignoring it.
			script:     `sh -c 'trap "" TERM; echo $$; exec sleep 60' & wait`,
			wantSignal: syscall.SIGTERM,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, child := start(t, tt.script)
			pgid := p.PID()
			if !alive(pgid) || !alive(child) {
				t.Fatalf("leader %d or child %d not running after start", pgid, child)
			}
			if err := p.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if err := p.Stop(); err != nil {
				t.Fatalf("second Stop: %v", err)
			}
			select {
			case <-p.Exited():
			default:
				t.Fatal("Exited() not closed after Stop")
			}
			if got := signalOf(p.Err()); got != tt.wantSignal {
				t.Errorf("leader ended by %v (Err() = %v); want %v", got, p.Err(), tt.wantSignal)
			}
			waitGone(t, pgid)
			waitGone(t, child)
		})
	}
}

func TestStopAfterExit(t *testing.T) {
	p, err := procgroup.Start(exec.Command("true"), grace)
	if err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	if err := p.Err(); err != nil {
		t.Errorf("Err() = %v; want nil for true(1)", err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop after exit: %v", err)
	}
}

func TestStartError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-program")
	_, err := procgroup.Start(exec.Command(missing), grace)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Start(%s) error = %v; want one wrapping os.ErrNotExist", missing, err)
	}
}

// start runs sh -c script in its own group and returns once the script printed its first line,
// parsed as the pid of its child.
func start(t *testing.T, script string) (*procgroup.Process, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("sh", "-c", script)
	cmd.Stdout = w
	p, err := procgroup.Start(cmd, grace)
	w.Close()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { p.Stop() })
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("read the script's first line: %v", err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("script printed %q; want a pid", line)
	}
	return p, child
}

func signalOf(err error) syscall.Signal {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return 0
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return 0
	}
	return ws.Signal()
}

// alive reports whether pid runs: it exists and is not a zombie (an orphan's zombie waits for
// whichever process reaps orphans here, which may never come in a container).
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return false
	}
	state := strings.TrimSpace(string(stat[i+1:]))
	return !strings.HasPrefix(state, "Z") && !strings.HasPrefix(state, "X")
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running after Stop", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
