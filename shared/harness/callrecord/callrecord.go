// Package callrecord is a reverse proxy on 127.0.0.1 that records the AWS query-protocol
// calls (STS, IAM) passing through it, with their request parameters, on their way to an
// emulator (moto_server). moto keeps no log of what it was sent, so a test that must show what
// a process it only runs (the AWS CLI, boto3, a credential_process helper) put in a request,
// such as an AssumeRole's SourceIdentity, points the process's AWS_ENDPOINT_URL here:
//
//	p, _ := callrecord.Start(moto.URL)
//	defer p.Close()
//	... run the process with AWS_ENDPOINT_URL=p.URL ...
//	for _, c := range p.Calls("sts.AssumeRole") { c.Params.Get("SourceIdentity") }
//
// Calls are named as shared/harness/callcount names them ("service.Operation"). Only the form
// parameters are kept: the signature and credentials travel in headers, which are not.
package callrecord

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/callcount"
)

// Call is one recorded request.
type Call struct {
	Name   string     // "sts.AssumeRole"
	Params url.Values // the form (or query) parameters, Action and Version included
	Status int        // the emulator's HTTP status
}

// Proxy is a running recording proxy.
type Proxy struct {
	URL string

	srv       *http.Server
	mu        sync.Mutex
	calls     []Call
	answers   map[string]answer
	closeOnce sync.Once
	closeErr  error
}

// Start listens on a free loopback port and forwards every request to target.
func Start(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("start call recorder: bad target %q", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start call recorder: %w", err)
	}
	p := &Proxy{URL: "http://" + ln.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := Call{Params: r.URL.Query()}
		if r.Body != nil && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			body, err := io.ReadAll(r.Body)
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(body))
			if err == nil {
				if v, err := url.ParseQuery(string(body)); err == nil {
					c.Params = v
				}
			}
		}
		c.Name = callcount.Call(r)
		p.mu.Lock()
		a, canned := p.answers[c.Name]
		p.mu.Unlock()
		if canned {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(a.status)
			io.WriteString(w, a.body)
			c.Status = a.status
		} else {
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			rp.ServeHTTP(sw, r)
			c.Status = sw.status
		}
		p.mu.Lock()
		p.calls = append(p.calls, c)
		p.mu.Unlock()
	})}
	go p.srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed after Close
	return p, nil
}

type answer struct {
	status int
	body   string
}

// Answer makes the proxy answer every call named name ("sts.AssumeRole") itself, with status
// and an XML body, instead of forwarding it (the call is still recorded): a way to see how a
// client handles an error the emulator never returns, such as STS's AccessDenied.
// Answer(name, 0, "") forwards such calls again.
func (p *Proxy) Answer(name string, status int, body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.answers == nil {
		p.answers = map[string]answer{}
	}
	if status == 0 {
		delete(p.answers, name)
		return
	}
	p.answers[name] = answer{status, body}
}

// STSError is the body STS (query protocol) sends with an error.
func STSError(code, message string) string {
	var b strings.Builder
	b.WriteString(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>`)
	xmlEscape(&b, code)
	b.WriteString(`</Code><Message>`)
	xmlEscape(&b, message)
	b.WriteString(`</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`)
	return b.String()
}

func xmlEscape(b *strings.Builder, s string) {
	b.WriteString(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Calls returns the recorded calls named name ("sts.AssumeRole"), or all of them when name is
// empty, in the order they arrived.
func (p *Proxy) Calls(name string) []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Call
	for _, c := range p.calls {
		if name == "" || c.Name == name {
			out = append(out, Call{Name: c.Name, Params: cloneValues(c.Params), Status: c.Status})
		}
	}
	return out
}

// Reset forgets every recorded call.
func (p *Proxy) Reset() {
	p.mu.Lock()
	p.calls = nil
	p.mu.Unlock()
}

// Close stops the proxy.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		if err := p.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.closeErr = fmt.Errorf("stop call recorder: %w", err)
		}
	})
	return p.closeErr
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
