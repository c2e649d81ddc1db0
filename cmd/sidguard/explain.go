package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

var explainCommand = &command{
	name:    "explain",
	args:    "[--format text|json] [rule flags] [FILE|-]",
	summary: "say who can assume the role without a source identity, and why",
	help: `Lists, for the trust policy in FILE (standard input when FILE is "-" or absent), every
principal that can assume the role without setting a source identity: who it is, which
statement lets it in, which assume actions it can call, and why no source identity is needed,
in plain words. The rule flags say what the guard would do about each principal. Notes
follow (e.g. any-aws-account: the role trusts every AWS account).

Exit status: 0 explanation printed, 2 unusable input or bad flags.`,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		rf := addRuleFlags(fs)
		format := addFormatFlag(fs)
		return func(std stdio, args []string) int {
			rules, in, code := rf.load(std, "explain", args)
			if code != exitOK {
				return code
			}
			report := explainReport{Input: in.name, Exposures: nonNil(trustpolicy.Explain(in.doc, rules)), Notes: []trustpolicy.Finding{}}
			for _, f := range trustpolicy.Check(in.doc, rules) {
				if f.Code.Informational() {
					report.Notes = append(report.Notes, f)
				}
			}
			if err := report.write(std.out, *format); err != nil {
				fmt.Fprintf(std.err, "sidguard explain: write output: %v\n", err)
				return exitUsage
			}
			return exitOK
		}
	},
}

// explainReport is what explain prints.
type explainReport struct {
	Input     string                 `json:"input"`
	Exposures []trustpolicy.Exposure `json:"exposures"`
	Notes     []trustpolicy.Finding  `json:"notes"` // informational findings, e.g. any-aws-account
}

func (r explainReport) write(w io.Writer, format string) error {
	if format == formatJSON {
		return writeJSON(w, r)
	}
	var b strings.Builder
	if len(r.Exposures) == 0 {
		fmt.Fprintf(&b, "%s: no principal can assume this role without a source identity\n", r.Input)
	} else {
		fmt.Fprintf(&b, "%s: %s can assume this role without a source identity:\n",
			r.Input, plural(len(r.Exposures), "principal"))
	}
	for _, e := range r.Exposures {
		fmt.Fprintf(&b, "\n%s\n", e.Principal)
		fmt.Fprintf(&b, "  kind:       %s\n", e.Class)
		fmt.Fprintf(&b, "  allowed by: %s\n", statementLabel(e.Statement, e.SID))
		fmt.Fprintf(&b, "  can call:   %s\n", strings.Join(e.Actions, ", "))
		fmt.Fprintf(&b, "  why:        %s\n", e.Reason)
		fmt.Fprintf(&b, "  the rules:  %s\n", rulesSay(e.Mode))
	}
	for _, f := range r.Notes {
		fmt.Fprintf(&b, "\nnote: %s\n", findingLine(f))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// rulesSay says in words what the rules ask of a principal.
func rulesSay(m trustpolicy.Mode) string {
	switch m {
	case trustpolicy.ModeRequire:
		return "require a source identity (sts:SetSourceIdentity and a sts:SourceIdentity condition)"
	case trustpolicy.ModeAllow:
		return "allow a source identity (sts:SetSourceIdentity only; callers may still omit one)"
	case trustpolicy.ModeIgnore, "":
		return "leave it alone"
	}
	return string(m)
}
