package main

import (
	"flag"
	"fmt"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

var checkCommand = &command{
	name:    "check",
	args:    "[--mode allow|require] [--format text|json] [rule flags] [FILE|-]",
	summary: "report whether a trust policy makes callers set a source identity",
	help: `Checks the trust policy in FILE (standard input when FILE is "-" or absent) against the
rules and prints one line per finding and a summary line (--format text), or a JSON object
{"input", "compliant", "mode", "findings"} (--format json). Notes (informational findings,
e.g. any-aws-account: the role trusts every AWS account) are printed but do not make the
policy non-compliant. A fix "sidguard fix" would refuse (too-large) is reported as such.

Exit status: 0 compliant under --mode, 1 not compliant (findings printed), 2 unusable input
(unreadable file, not JSON, malformed policy, bad flags).`,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		rf := addRuleFlags(fs)
		format := addFormatFlag(fs)
		return func(std stdio, args []string) int {
			rules, in, code := rf.load(std, "check", args)
			if code != exitOK {
				return code
			}
			findings := trustpolicy.Check(in.doc, rules)
			report := checkReport{
				Input:     in.name,
				Compliant: trustpolicy.Compliant(findings), // informational notes do not count
				Mode:      rf.mode,
				Findings:  nonNil(findings),
			}
			if err := report.write(std.out, *format); err != nil {
				fmt.Fprintf(std.err, "sidguard check: write output: %v\n", err)
				return exitUsage
			}
			if !report.Compliant {
				return exitFindings
			}
			return exitOK
		}
	},
}
