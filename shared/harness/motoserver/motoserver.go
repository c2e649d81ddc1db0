// Package motoserver starts and stops a local moto_server (the moto AWS emulator) on a free
// 127.0.0.1 port, for integration tests and the demo program. It never talks to real AWS: the
// aws.Config and the environment it hands out carry dummy static credentials and point every
// client at the emulator.
//
// In a test package, share one server between the tests:
//
//	func TestMain(m *testing.M) { os.Exit(motoserver.RunTests(m)) }
//
//	func TestSomething(t *testing.T) {
//		srv := motoserver.Shared(t) // started on first use, wiped for each test
//		client := iam.NewFromConfig(srv.AWSConfig())
//		...
//	}
//
// or start one per test with Start(t). When moto_server is not on PATH, Start and Shared skip the
// test loudly, or fail it with an install hint when CI=true.
package motoserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/procgroup"
)

// Binary is the emulator's executable, looked up on PATH.
const Binary = "moto_server"

// Region is the region every client built from this package uses.
const Region = "us-east-1"

// AccountID is the account moto reports for every resource.
const AccountID = "123456789012"

// InstallHint says how to get moto_server when it is missing.
const InstallHint = "moto_server (moto[server] 5.2.x, Python) must be on PATH; it ships on the " +
	"project's machine image (pyenv Python 3.11); elsewhere: pip install 'moto[server]==5.2.1'"

// ErrNotInstalled is returned by Run when moto_server is not on PATH.
var ErrNotInstalled = errors.New(Binary + " not found on PATH")

const (
	readyTimeout = 20 * time.Second
	stopTimeout  = 3 * time.Second
)

// Server is a running moto_server.
type Server struct {
	// URL is the endpoint, e.g. "http://127.0.0.1:41234", serving every emulated service.
	URL string

	proc   *procgroup.Process
	output *tailBuffer
}

// Run starts moto_server on a free loopback port and waits until it answers. The caller must
// call Stop. Canceling ctx while Run waits aborts the start; after Run returns, ctx no longer
// matters. Run returns ErrNotInstalled when the binary is not on PATH.
func Run(ctx context.Context) (*Server, error) {
	bin, err := exec.LookPath(Binary)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", Binary, ErrNotInstalled)
	}
	// The free port can be taken between probing and binding: try again.
	return procgroup.Retry(ctx, func() (*Server, error) { return start(ctx, bin) })
}

func start(ctx context.Context, bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", Binary, err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	out := &tailBuffer{max: 8 << 10}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Stdin = nil
	cmd.Env = os.Environ()
	// Own process group so Stop reaches any child; die with the test binary if it is killed.
	proc, err := procgroup.Start(cmd, stopTimeout)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", Binary, err)
	}
	s := &Server{URL: "http://" + addr, proc: proc, output: out}
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("start %s on %s: %w\n%s", Binary, addr, err, out.String())
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.proc.Exited():
			return fmt.Errorf("exited before becoming ready: %v", s.proc.Err())
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// Stop terminates the server's process group (SIGTERM, then SIGKILL after a grace period) and
// waits for it to exit. It is safe to call more than once.
func (s *Server) Stop() error {
	if err := s.proc.Stop(); err != nil {
		return fmt.Errorf("stop %s: %w", Binary, err)
	}
	return nil
}

// Reset wipes every resource in the emulator (POST /moto-api/reset).
func (s *Server) Reset() error {
	resp, err := http.Post(s.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return fmt.Errorf("reset %s: %w", Binary, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset %s: HTTP %d", Binary, resp.StatusCode)
	}
	return nil
}

// Output returns the tail of the server's combined stdout and stderr, for diagnostics.
func (s *Server) Output() string { return s.output.String() }

// AWSConfig returns an SDK configuration for this server: region us-east-1, static dummy
// credentials and BaseEndpoint set to URL. It reads nothing from the environment or from shared
// config files, so real credentials on the machine are never used.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.URL),
	}
}

// Env returns KEY=value pairs that point a child process's SDK (Go, boto3, AWS CLI) at this
// server with dummy credentials. Append them to os.Environ(): later entries win in os/exec.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.URL,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// PID returns the server's process id (also its process group id).
func (s *Server) PID() int { return s.proc.PID() }
