// Package callcount is a reverse proxy on 127.0.0.1 that counts the AWS API calls passing
// through it, by service and operation, on their way to an emulator (moto_server). Put it
// between a process you cannot instrument (a Lambda bootstrap under the emulator, a CLI) and the
// emulator by pointing the process's AWS_ENDPOINT_URL at the proxy:
//
//	p, _ := callcount.Start(moto.URL)
//	defer p.Close()
//	... run the function with AWS_ENDPOINT_URL=p.URL ...
//	p.Counts() // map["iam.GetRole":1 "iam.UpdateAssumeRolePolicy":1 "events.PutEvents":1]
//
// The service is the signing name in the request's SigV4 credential scope ("iam", "events",
// "sqs"); the operation is the query protocol's Action or the JSON protocols' X-Amz-Target.
// Every HTTP request counts, so a call the SDK retries counts once per attempt.
//
// Next to shared/apicalls: callcount counts from outside, on the wire between a process and the
// emulator, so tests and benchmarks can check a bootstrap they only run; apicalls counts inside
// a process the SDK client belongs to (what the Sweep function and sidguard scan report).
package callcount

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/awsrequest"
)

// Proxy is a running counting proxy.
type Proxy struct {
	// URL is the proxy's endpoint, e.g. "http://127.0.0.1:41234".
	URL string

	srv       *http.Server
	mu        sync.Mutex
	counts    map[string]int
	elapsed   time.Duration
	closeOnce sync.Once
	closeErr  error
}

// Start listens on a free loopback port and forwards every request to target.
func Start(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("start call counter: bad target %q", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start call counter: %w", err)
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 16}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		call := Call(r)
		begin := time.Now()
		rp.ServeHTTP(w, r)
		p.add(call, time.Since(begin))
	})}
	go p.srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed after Close
	return p, nil
}

func (p *Proxy) add(call string, took time.Duration) {
	p.mu.Lock()
	p.counts[call]++
	p.elapsed += took
	p.mu.Unlock()
}

// Elapsed returns the time spent forwarding calls to the target and relaying its answers since
// the start or the last Reset: for a sequential client, the part of its wall time spent waiting
// on the emulator.
func (p *Proxy) Elapsed() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.elapsed
}

// Counts returns a copy of the counts so far, keyed "service.Operation".
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

// Reset sets every count and Elapsed back to zero and returns the counts it had.
func (p *Proxy) Reset() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	p.counts = map[string]int{}
	p.elapsed = 0
	return c
}

// Close stops the proxy.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		if err := p.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.closeErr = fmt.Errorf("stop call counter: %w", err)
		}
	})
	return p.closeErr
}

// Call names the AWS API call r makes: "service.Operation", with "?" for a part that cannot be
// told (an unsigned request, a REST protocol). It reads the body and puts it back.
func Call(r *http.Request) string {
	service, op := awsrequest.Service(r), awsrequest.Operation(r)
	if service == "" {
		service = "?"
	}
	if op == "" {
		op = "?"
	}
	return service + "." + op
}

// Format renders counts as "a=1 b=2" in key order, for logs and reports.
func Format(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", k, counts[k])
	}
	return b.String()
}
