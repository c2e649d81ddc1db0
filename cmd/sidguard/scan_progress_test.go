package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
)

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	if isTerminal(&buf) {
		t.Fatal("a buffer is not a terminal")
	}
	p := newProgress(&buf, true)
	for _, d := range []guard.Decision{guard.Compliant, guard.WouldPatch, guard.Exempt, guard.Unfixable} {
		p.add(sweep.Result{Verdict: guard.Verdict{Decision: d}})
	}
	p.done()
	out := buf.String()
	if !strings.Contains(out, "scanning: 4 roles, 2 not compliant") || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("progress output %q: want the count and a cleared line at the end", out)
	}

	buf.Reset()
	off := newProgress(&buf, false)
	off.add(sweep.Result{Verdict: guard.Verdict{Decision: guard.WouldPatch}})
	off.done()
	if buf.Len() != 0 {
		t.Errorf("progress off wrote %q", buf.String())
	}
}
