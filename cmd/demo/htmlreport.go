package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/htmlreport"
)

// demoReportPath is where the demo leaves its HTML report (outside the repository, so that
// `go test ./cmd/demo` leaves nothing behind in the tree).
var demoReportPath = filepath.Join(os.TempDir(), "sidguard-demo", "report.html")

// writeHTMLReport renders the decisions the demo saw as the HTML report `sidguard report`
// writes, and prints its path. Each role counts once, from its last event; an event the guard
// skipped (its own write) does not replace the decision before it.
func writeHTMLReport(w io.Writer, results []result, mode string) error {
	var lines bytes.Buffer
	enc := json.NewEncoder(&lines)
	enc.SetEscapeHTML(false)
	last := map[string]int{} // account/role name -> index in recs
	type rec struct {
		Account  string          `json:"account"`
		Role     string          `json:"role"`
		ARN      string          `json:"arn"`
		Path     string          `json:"path"`
		Decision guard.Decision  `json:"decision"`
		Reason   string          `json:"reason"`
		Mode     guard.Mode      `json:"mode"`
		Findings json.RawMessage `json:"findings"`
	}
	var recs []rec
	for _, r := range results {
		o := r.outcome
		findings, err := json.Marshal(nonNilFindings(o))
		if err != nil {
			return err
		}
		path := r.step.role.path
		if path == "" {
			path = "/"
		}
		m := o.Mode
		if m == "" { // an event skipped before it was judged: the function's MODE
			m = guard.Mode(mode)
		}
		x := rec{Account: o.Account, Role: o.Role, ARN: o.RoleARN, Path: path, Decision: o.Decision, Reason: o.Reason, Mode: m, Findings: findings}
		key := o.Account + "/" + o.Role // role names are unique in an account; a skipped event may carry no ARN
		if i, seen := last[key]; seen {
			if o.Decision != guard.Skipped {
				recs[i] = x
			}
			continue
		}
		last[key] = len(recs)
		recs = append(recs, x)
	}
	for _, x := range recs {
		if err := enc.Encode(x); err != nil {
			return err
		}
	}
	in, err := htmlreport.Decode(fmt.Sprintf("the demo's %d CloudTrail events (Enforce function, MODE=%s)", len(results), mode), &lines)
	if err != nil {
		return fmt.Errorf("HTML report: %w", err)
	}
	rep := htmlreport.Build([]htmlreport.Input{in}, htmlreport.Options{Title: "source-identity-guard demo", Generated: time.Now(), Generator: "make demo"})
	var page bytes.Buffer
	if err := htmlreport.Render(&page, rep); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(demoReportPath), 0o755); err != nil {
		return fmt.Errorf("HTML report: %w", err)
	}
	tmp := demoReportPath + ".tmp"
	if err := os.WriteFile(tmp, page.Bytes(), 0o644); err != nil {
		return fmt.Errorf("HTML report: %w", err)
	}
	if err := os.Rename(tmp, demoReportPath); err != nil {
		return fmt.Errorf("HTML report: %w", err)
	}
	fmt.Fprintf(w, "HTML report of these decisions (as sidguard report writes it): %s\n", demoReportPath)
	return nil
}

func nonNilFindings(o guard.Outcome) any {
	if o.Findings == nil {
		return []any{}
	}
	return o.Findings
}
