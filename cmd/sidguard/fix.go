package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

var fixCommand = &command{
	name:    "fix",
	args:    "[--mode allow|require] [--indent] [rule flags] [FILE|-]",
	summary: "print the trust policy fixed to make callers set a source identity",
	help: `Prints the trust policy in FILE (standard input when FILE is "-" or absent) after the fix,
as JSON on standard output: AWS-principal statements (and opted-in Federated ones) get
sts:SetSourceIdentity and, under --mode require, a StringLike sts:SourceIdentity condition;
statements mixing principal classes are split; everything else is kept as it was. A policy
that needs nothing is printed unchanged (re-serialised). Feed the result to
"aws iam update-assume-role-policy --policy-document file://fixed.json".

Findings the fix cannot resolve (a wildcard principal, a Deny on sts:SetSourceIdentity, a
result over --size-limit, ...) are listed on standard error; the policy printed is then
unchanged or only partly fixed. Notes (e.g. a role that trusts any AWS account) go to standard
error too and do not change the exit status.

Exit status, the one "sidguard check" would give on the policy printed: 0 it is compliant
under --mode, 1 findings that need a person remain (the policy is still printed), 2 unusable
input or bad flags (nothing on standard output). So
  sidguard fix p.json > fixed.json && aws iam update-assume-role-policy ...
writes only a compliant policy.`,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		rf := addRuleFlags(fs)
		indent := fs.Bool("indent", false, "Indent the output (whitespace does not count against the size quota)")
		return func(std stdio, args []string) int {
			rules, in, code := rf.load(std, "fix", args)
			if code != exitOK {
				return code
			}
			fixed, findings := trustpolicy.Fix(in.doc, rules)
			out, err := fixed.MarshalJSON()
			if err == nil && *indent {
				var b bytes.Buffer
				err = json.Indent(&b, out, "", "  ")
				out = b.Bytes()
			}
			if err != nil {
				fmt.Fprintf(std.err, "sidguard fix: %s: encode the fixed policy: %v\n", in.name, err)
				return exitUsage
			}
			out = append(out, '\n')
			if _, err := std.out.Write(out); err != nil {
				fmt.Fprintf(std.err, "sidguard fix: write output: %v\n", err)
				return exitUsage
			}
			var left int
			for _, f := range findings {
				switch {
				case f.Fixed:
				case f.Code.Informational():
					// The fix is in the output; e.g. IAM may still refuse a deleted principal's id.
					fmt.Fprintf(std.err, "sidguard fix: note: %s\n", findingLine(f))
				default:
					fmt.Fprintf(std.err, "sidguard fix: not fixed: %s\n", findingLine(f))
					left++
				}
			}
			if left > 0 {
				what := "partly fixed"
				if fixed == in.doc {
					what = "unchanged"
				}
				fmt.Fprintf(std.err, "sidguard fix: %s: %s left for a person; the policy printed is %s\n", in.name, plural(left, "finding"), what)
			}
			// Exit as check would on the printed policy: one verdict, computed by the engine.
			if !trustpolicy.Compliant(trustpolicy.Check(fixed, rules)) {
				return exitFindings
			}
			return exitOK
		}
	},
}
