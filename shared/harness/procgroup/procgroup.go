// Package procgroup runs a child process in a process group of its own and stops the whole group:
// SIGTERM, a grace period, SIGKILL, and a wait for the child to exit. The helpers that start
// emulators for tests, the demo and the benchmarks (motoserver, lambdaemu) use it, so that a
// stopped emulator leaves no process behind and a killed parent takes its child with it.
// Linux only (Pdeathsig).
package procgroup

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Process is a started command, the leader of its own process group.
type Process struct {
	cmd      *exec.Cmd
	grace    time.Duration
	exited   chan struct{} // closed when the leader has exited
	waitErr  error         // set before exited is closed
	stopOnce sync.Once
	stopErr  error
}

// Start starts cmd as the leader of a new process group that is sent SIGKILL if the parent dies
// (Pdeathsig), and reaps it in the background. It overwrites cmd.SysProcAttr. grace is how long
// Stop waits after SIGTERM, and again after SIGKILL. The caller must call Stop.
func Start(cmd *exec.Cmd, grace time.Duration) (*Process, error) {
	// Own process group, so Stop reaches every child too; die with the parent if it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, grace: grace, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// PID returns the leader's process id, which is also the process group id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited is closed once the leader has exited and been reaped.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err returns the leader's exit error (exec.Cmd.Wait's); read it only after Exited is closed.
func (p *Process) Err() error { return p.waitErr }

// Stop ends the process group: nothing when the leader has already exited; else SIGTERM to the
// group, SIGKILL to the group when the leader is still there after the grace period, and an error
// when it is still there a grace period after that. Once the leader is gone, whatever is left of
// the group is sent SIGKILL. Stop waits for the leader to exit, returns the same result every
// time and is safe to call more than once and from several goroutines.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		pgid := p.cmd.Process.Pid
		select {
		case <-p.exited:
			return
		default:
		}
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(p.grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			select {
			case <-p.exited:
			case <-time.After(p.grace):
				p.stopErr = fmt.Errorf("process group %d: still running after SIGKILL", pgid)
			}
		}
		// A child may outlive the leader (or ignore SIGTERM): leave nothing of the group behind.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
	return p.stopErr
}

// StartTries is how many times Retry tries a start that fails.
const StartTries = 3

// Retry calls start up to StartTries times until it succeeds, for a server started on a probed
// free port that another process may take before the server binds it. It stops early when ctx is
// done and returns the last error.
func Retry[T any](ctx context.Context, start func() (T, error)) (T, error) {
	var zero T
	var lastErr error
	for range StartTries {
		v, err := start()
		if err == nil {
			return v, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return zero, lastErr
}
