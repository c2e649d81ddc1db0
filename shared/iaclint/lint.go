package iaclint

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// Result is what lint reports for one role; its JSON form is part of the CLI contract
// (file, line, resource, compliant, findings).
type Result struct {
	File        string                `json:"file"`
	Line        int                   `json:"line"`
	Column      int                   `json:"column"`
	Resource    string                `json:"resource"`
	Type        string                `json:"type"`
	Compliant   bool                  `json:"compliant"`
	Mode        trustpolicy.Mode      `json:"mode"`
	Findings    []trustpolicy.Finding `json:"findings"`
	FixedPolicy json.RawMessage       `json:"fixedPolicy,omitempty"` // the policy after sidguard fix, intrinsics restored
	FixNotes    []trustpolicy.Finding `json:"fixNotes,omitempty"`    // why the fix was refused or is partial (too-large)
	Opaque      []Opaque              `json:"opaque,omitempty"`      // intrinsic values judged as unknown principals or strings
	Error       string                `json:"error,omitempty"`       // why the policy could not be judged

	// StatementLines[i] is the line of Statement[i] (for SARIF regions).
	StatementLines []int `json:"-"`
	unusable       bool
}

// Unusable reports a role whose declaration is broken (a malformed policy, a missing one):
// the input is unusable, as for `sidguard check` (exit 2). A policy built at deploy time is
// not unusable: it is not compliant, because nothing shows it is.
func (r Result) Unusable() bool { return r.unusable }

// Check judges one role under rules, like `sidguard check`, and adds the fixed policy
// (`sidguard fix`) when the role is not compliant.
func Check(role Role, rules trustpolicy.Rules) Result {
	mode := rules.Mode
	if mode == "" {
		mode = trustpolicy.ModeRequire
	}
	res := Result{File: role.File, Line: role.Line, Column: role.Column, Resource: role.Resource, Type: role.Type, Mode: mode,
		Findings: []trustpolicy.Finding{}, Opaque: role.Opaque, StatementLines: role.StatementLines}
	if role.Err != nil {
		res.Error = role.Err.Error()
		res.unusable = !errors.Is(role.Err, ErrOpaque)
		return res
	}
	doc, err := trustpolicy.Parse(role.Policy)
	if err != nil {
		res.Error = restore(err.Error(), role.Opaque, false)
		res.unusable = true
		return res
	}
	findings := trustpolicy.Check(doc, rules)
	res.Compliant = len(findings) == 0
	if res.Compliant {
		return res
	}
	fixed, fixFindings := trustpolicy.Fix(doc, rules)
	// findings are Check's (as `sidguard check` reports them), marked Fixed when the fixed
	// policy resolves them; what only the fix meets (too-large) goes to FixNotes.
	res.Findings = findings
	for _, ff := range fixFindings {
		matched := false
		for i := range res.Findings {
			f := &res.Findings[i]
			if f.Code == ff.Code && f.Statement == ff.Statement && f.Message == ff.Message {
				f.Fixed, matched = ff.Fixed, true
			}
		}
		if !matched {
			res.FixNotes = append(res.FixNotes, ff)
		}
	}
	for _, list := range [][]trustpolicy.Finding{res.Findings, res.FixNotes} {
		for i := range list {
			f := &list[i]
			f.Message = restore(f.Message, role.Opaque, false)
			for j, p := range f.Principals {
				f.Principals[j] = restore(p, role.Opaque, false)
			}
		}
	}
	if fixed != doc {
		text, err := fixed.MarshalJSON()
		if err == nil {
			res.FixedPolicy = json.RawMessage(restore(string(text), role.Opaque, true))
		}
	}
	return res
}

// restore puts the intrinsic values back where the placeholders are: as JSON (asJSON, in a
// policy text: the quoted placeholder becomes the long-form object) or as text.
func restore(s string, opaque []Opaque, asJSON bool) string {
	if len(opaque) == 0 {
		return s
	}
	pairs := make([]string, 0, 2*len(opaque))
	for _, o := range opaque {
		if asJSON {
			pairs = append(pairs, `"`+o.Placeholder+`"`, o.Value)
		} else {
			pairs = append(pairs, o.Placeholder, o.Value)
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// Summary counts results.
type Summary struct {
	Roles, Compliant, NotCompliant, Unusable, Files int
}

// Summarize counts results over files.
func Summarize(results []Result, files int) Summary {
	s := Summary{Roles: len(results), Files: files}
	for _, r := range results {
		switch {
		case r.Unusable():
			s.Unusable++
		case r.Compliant:
			s.Compliant++
		default:
			s.NotCompliant++
		}
	}
	return s
}
