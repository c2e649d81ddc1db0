// Package lambdaemu builds a Go Lambda function the way the template deploys it and runs it
// under the AWS Lambda Runtime Interface Emulator (aws-lambda-rie), bound to 127.0.0.1, so tests,
// the demo and the benchmark invoke the real bootstrap over HTTP.
//
//	boot, _ := lambdaemu.Build(ctx, "./functions/enforce", dir)
//	emu, _ := lambdaemu.Run(ctx, lambdaemu.Config{Bootstrap: boot, Env: moto.Env()})
//	defer emu.Stop()
//	inv, _ := emu.Invoke(ctx, event)
//
// The emulator is the pinned RIEVersion, found next to the module (bin/aws-lambda-rie), through
// $AWS_LAMBDA_RIE or on PATH, and installed with `go install` into bin/ when missing
// (EnsureRIE). Local builds use the host architecture: the emulator runs the binary directly.
package lambdaemu

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/procgroup"
)

const (
	// RIEModule is the emulator's command package.
	RIEModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	// RIEVersion is the pinned emulator version (also pinned in the Makefile's RIE_VERSION).
	RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"
	// RIEBinary is the emulator's executable name.
	RIEBinary = "aws-lambda-rie"
)

// InvokePath is the emulator's invoke endpoint for the one function it runs.
const InvokePath = "/2015-03-31/functions/function/invocations"

// ErrNotInstalled is returned when the emulator is neither found nor installable.
var ErrNotInstalled = errors.New(RIEBinary + " not installed")

// InstallHint says how to get the emulator by hand.
const InstallHint = "install the Lambda Runtime Interface Emulator with `make rie` (GOBIN=$PWD/bin go install " +
	RIEModule + "@" + RIEVersion + "); it needs the Go module proxy"

const (
	readyTimeout = 15 * time.Second
	stopTimeout  = 5 * time.Second
)

// Config describes one emulated function.
type Config struct {
	// Bootstrap is the function's executable (see Build).
	Bootstrap string
	// RIE is the emulator's executable; empty means EnsureRIE.
	RIE string
	// Env holds KEY=value settings for the function (e.g. motoserver's Env() and MODE=...).
	// The function gets only PATH, HOME, these and what the emulator adds: the caller's
	// environment (and any real AWS credentials in it) is not inherited.
	Env []string
	// FunctionName is AWS_LAMBDA_FUNCTION_NAME; default "function".
	FunctionName string
	// Output, when set, receives a copy of the emulator's and the function's output as it comes.
	Output io.Writer
}

// Emulator is a running aws-lambda-rie with one function.
type Emulator struct {
	// URL is the invoke endpoint: POST an event to it (or use Invoke).
	URL string

	proc   *procgroup.Process
	out    *logBuffer
	client *http.Client
	// runtimePID is the last bootstrap process seen; it is gone once the emulator stops.
	mu         sync.Mutex
	runtimePID int
}

// Invocation is the result of one Invoke.
type Invocation struct {
	// Status is the emulator's HTTP status: 200 when the handler ran (even when it returned an
	// error), 502 when the function could not start (its init failed or it exited).
	Status int
	// Payload is the response body: the handler's result, or the emulator's
	// {"errorMessage":...,"errorType":...} when the handler failed.
	Payload []byte
	// Latency is the client-side wall time from sending the request to reading the response.
	Latency time.Duration
}

// Failure describes why the invocation failed, or returns "" when the handler returned a result:
// the handler's error (see FunctionError) or the emulator's status when the function did not run.
func (i Invocation) Failure() string {
	if i.Status != http.StatusOK {
		return fmt.Sprintf("HTTP %d: %s", i.Status, bytes.TrimSpace(i.Payload))
	}
	return FunctionError(i.Payload)
}

// Run starts the emulator with cfg on two free loopback ports (invoke and runtime API) and
// waits until it accepts connections. The caller must call Stop. The function process itself
// starts on the first invoke (the emulator's INIT phase).
func Run(ctx context.Context, cfg Config) (*Emulator, error) {
	if cfg.Bootstrap == "" {
		return nil, errors.New("start emulator: no bootstrap")
	}
	boot, err := filepath.Abs(cfg.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	cfg.Bootstrap = boot
	if cfg.RIE == "" {
		if cfg.RIE, err = EnsureRIE(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.FunctionName == "" {
		cfg.FunctionName = "function"
	}
	// A probed free port can be taken before the emulator binds it: try again.
	return procgroup.Retry(ctx, func() (*Emulator, error) { return start(ctx, cfg) })
}

func start(ctx context.Context, cfg Config) (*Emulator, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	invokeAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	apiAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	cmd := exec.Command(cfg.RIE,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", apiAddr,
		cfg.Bootstrap)
	cmd.Dir = filepath.Dir(cfg.Bootstrap)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"AWS_LAMBDA_FUNCTION_NAME=" + cfg.FunctionName,
	}, cfg.Env...)
	out := &logBuffer{tee: cfg.Output}
	cmd.Stdout = out
	cmd.Stderr = out
	// Own process group, so Stop reaches the function too; die with the parent if it is killed.
	proc, err := procgroup.Start(cmd, stopTimeout)
	if err != nil {
		return nil, fmt.Errorf("start emulator %s: %w", cfg.RIE, err)
	}
	e := &Emulator{
		URL:    "http://" + invokeAddr + InvokePath,
		proc:   proc,
		out:    out,
		client: &http.Client{Transport: &http.Transport{DisableCompression: true}},
	}
	if err := e.waitReady(ctx, invokeAddr); err != nil {
		e.Stop()
		return nil, fmt.Errorf("start emulator on %s: %w\n%s", invokeAddr, err, out.String())
	}
	return e, nil
}

func (e *Emulator) waitReady(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-e.proc.Exited():
			return fmt.Errorf("exited before listening: %v", e.proc.Err())
		case <-ctx.Done():
			return fmt.Errorf("not listening: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// Invoke sends event to the function and returns its response. A failed invocation is not a Go
// error here (see Invocation.Failure): only a request that got no answer is.
func (e *Emulator) Invoke(ctx context.Context, event []byte) (Invocation, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(event))
	if err != nil {
		return Invocation{}, fmt.Errorf("invoke function: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	begin := time.Now()
	resp, err := e.client.Do(req)
	if err != nil {
		return Invocation{}, fmt.Errorf("invoke function: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	latency := time.Since(begin)
	if err != nil {
		return Invocation{}, fmt.Errorf("invoke function: read response: %w", err)
	}
	return Invocation{Status: resp.StatusCode, Payload: body, Latency: latency}, nil
}

// FunctionError returns "errorType: errorMessage" when payload is the error document the
// emulator answers for a handler that returned an error, or "" for any other payload.
func FunctionError(payload []byte) string {
	var doc struct {
		ErrorMessage *string `json:"errorMessage"`
		ErrorType    string  `json:"errorType"`
	}
	if err := json.Unmarshal(payload, &doc); err != nil || doc.ErrorMessage == nil {
		return ""
	}
	if doc.ErrorType == "" {
		return *doc.ErrorMessage
	}
	return doc.ErrorType + ": " + *doc.ErrorMessage
}

// Output returns everything the emulator and the function wrote so far.
func (e *Emulator) Output() string { return e.out.String() }

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// InitDurations returns the durations of every INIT phase the emulator reported so far (its
// "INIT REPORT(durationMs: ...)" lines): the function's process start and init code, measured
// by the emulator, once per cold start.
func (e *Emulator) InitDurations() []time.Duration {
	var ds []time.Duration
	for _, m := range initReport.FindAllStringSubmatch(e.out.String(), -1) {
		ms, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			continue
		}
		ds = append(ds, time.Duration(ms*float64(time.Millisecond)))
	}
	return ds
}

// RuntimePID returns the process id of the function (the emulator's child), or 0 before the
// first invoke.
func (e *Emulator) RuntimePID() int {
	e.noteRuntime()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runtimePID
}

// PeakRSS returns the function process's peak resident set size in bytes (VmHWM in
// /proc/<pid>/status, Linux only), read while the emulator runs.
func (e *Emulator) PeakRSS() (int64, error) {
	pid := e.RuntimePID()
	if pid == 0 {
		return 0, errors.New("peak RSS: the function process has not started (invoke first)")
	}
	return peakRSS(pid)
}

func peakRSS(pid int) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, fmt.Errorf("peak RSS of pid %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("peak RSS of pid %d: parse %q: %w", pid, rest, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("peak RSS of pid %d: no VmHWM in /proc/%d/status", pid, pid)
}

// noteRuntime records the emulator's child process, if it has one now.
func (e *Emulator) noteRuntime() {
	if runtime.GOOS != "linux" {
		return
	}
	pid := childOf(e.proc.PID())
	if pid == 0 {
		return
	}
	e.mu.Lock()
	e.runtimePID = pid
	e.mu.Unlock()
}

// childOf returns the first process whose parent is ppid, or 0.
func childOf(ppid int) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may contain spaces and parentheses.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 {
			continue
		}
		if p, err := strconv.Atoi(fields[1]); err == nil && p == ppid {
			return pid
		}
	}
	return 0
}

// Stop terminates the emulator and the function (SIGTERM to the process group, SIGKILL after a
// grace period) and waits for the emulator to exit; nothing of the group is left afterwards (the
// emulator SIGKILLs its runtime on shutdown). It is safe to call more than once.
func (e *Emulator) Stop() error {
	if err := e.proc.Stop(); err != nil {
		return fmt.Errorf("stop emulator: %w", err)
	}
	return nil
}

func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close() // keep each open until all are picked, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// logBuffer keeps everything written to it (bounded) and optionally copies it to tee.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	tee io.Writer
}

const maxLog = 4 << 20

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tee != nil {
		b.tee.Write(p) //nolint:errcheck // a broken copy must not stop the emulator
	}
	b.buf.Write(p)
	if over := b.buf.Len() - maxLog; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
