// Package stsproxy is a reverse proxy on 127.0.0.1, put between a process and moto_server, that
// records every sts:AssumeRole call (role ARN, source identity, session name) and refuses the
// ones for chosen roles with STS's AccessDenied answer. moto lets anyone assume any role, even
// one that does not exist, so a test of "the member role cannot be assumed" needs this; and
// moto keeps no record of the requests it received, so counting AssumeRole per account does too.
package stsproxy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Call is one AssumeRole request seen by the proxy.
type Call struct {
	RoleARN, SourceIdentity, SessionName string
	Denied                               bool
}

// Account is the account id in the call's role ARN.
func (c Call) Account() string {
	parts := strings.SplitN(c.RoleARN, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// Proxy is a running proxy.
type Proxy struct {
	URL string // e.g. http://127.0.0.1:41234

	srv   *http.Server
	mu    sync.Mutex
	deny  map[string]bool // by account id
	calls []Call
}

// Start listens on a free loopback port and forwards every request to target.
func Start(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("start sts proxy: bad target %q", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start sts proxy: %w", err)
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), deny: map[string]bool{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := p.assumeRole(r); ok {
			p.mu.Lock()
			c.Denied = p.deny[c.Account()]
			p.calls = append(p.calls, c)
			p.mu.Unlock()
			if c.Denied {
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole on resource: %s</Message></Error><RequestId>stsproxy</RequestId></ErrorResponse>`, c.RoleARN)
				return
			}
		}
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed after Close
	return p, nil
}

// assumeRole decodes an STS AssumeRole query request, restoring the body for the forward.
func (p *Proxy) assumeRole(r *http.Request) (Call, bool) {
	if r.Method != http.MethodPost || !strings.Contains(r.Header.Get("Authorization"), "/sts/aws4_request") {
		return Call{}, false
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return Call{}, false
	}
	v, err := url.ParseQuery(string(body))
	if err != nil || v.Get("Action") != "AssumeRole" {
		return Call{}, false
	}
	return Call{RoleARN: v.Get("RoleArn"), SourceIdentity: v.Get("SourceIdentity"), SessionName: v.Get("RoleSessionName")}, true
}

// Deny makes AssumeRole into any role of account fail with AccessDenied.
func (p *Proxy) Deny(account string) {
	p.mu.Lock()
	p.deny[account] = true
	p.mu.Unlock()
}

// Calls returns the AssumeRole calls seen so far.
func (p *Proxy) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// PerAccount counts the AssumeRole calls seen so far by the account of the role.
func (p *Proxy) PerAccount() map[string]int {
	out := map[string]int{}
	for _, c := range p.Calls() {
		out[c.Account()]++
	}
	return out
}

// Close stops the proxy.
func (p *Proxy) Close() error { return p.srv.Close() }
