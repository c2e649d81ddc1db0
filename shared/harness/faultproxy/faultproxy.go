// Package faultproxy is a reverse proxy on 127.0.0.1 that sits between an AWS SDK client and an
// emulator (moto_server) and answers some requests with the throttling error the real service
// returns, so that tests and benchmarks can check that throttling slows a client down without
// losing work.
//
// A request is a candidate when the service in its SigV4 credential scope is one of
// Options.Services; every Options.Every-th candidate is answered with a throttling error and
// never reaches the emulator. The injection is deterministic, so a test run can be repeated.
package faultproxy

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/awsrequest"
)

// Options configure the proxy.
type Options struct {
	// Services are SigV4 signing names ("iam", "events", "ssm") whose requests may be throttled.
	Services []string
	// Every: throttle one candidate request in Every (Every <= 0 disables injection; 1 throttles all).
	Every int
	// Operations, when set, restricts candidates to these operations ("ListRoles",
	// "UpdateAssumeRolePolicy", "PutEvents"...). For query protocols the operation is read from
	// the form body's Action, for JSON protocols from X-Amz-Target.
	Operations []string
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	URL string // http://127.0.0.1:port

	opts      Options
	srv       *http.Server
	ln        net.Listener
	seen      atomic.Int64
	throttled atomic.Int64
	closeOnce sync.Once
}

// Start listens on a free loopback port and forwards to target (e.g. "http://127.0.0.1:5000").
func Start(target string, opts Options) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("parse target %q: %w", target, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), opts: opts, ln: ln}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	p.srv = &http.Server{Handler: p.handler(rp)}
	go p.srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on Close.
	return p, nil
}

// Throttled is the number of requests answered with a throttling error so far.
func (p *Proxy) Throttled() int { return int(p.throttled.Load()) }

// Close stops the proxy.
func (p *Proxy) Close() error {
	var err error
	p.closeOnce.Do(func() {
		err = p.srv.Close()
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	})
	return err
}

func (p *Proxy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		service := awsrequest.Service(r)
		if p.opts.Every <= 0 || !slices.Contains(p.opts.Services, service) {
			next.ServeHTTP(w, r)
			return
		}
		if len(p.opts.Operations) > 0 && !slices.Contains(p.opts.Operations, awsrequest.Operation(r)) {
			next.ServeHTTP(w, r)
			return
		}
		if p.seen.Add(1)%int64(p.opts.Every) != 0 {
			next.ServeHTTP(w, r)
			return
		}
		p.throttled.Add(1)
		writeThrottle(w, r)
	})
}

// writeThrottle answers in the wire format of the request's protocol: the awsJson protocols
// (EventBridge, SSM) use X-Amz-Target and a JSON error; the query protocol (IAM) an XML one.
func writeThrottle(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprint(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>faultproxy</RequestId></ErrorResponse>`)
}
