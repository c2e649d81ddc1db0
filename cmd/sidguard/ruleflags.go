package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// ruleFlags are the flags that configure trustpolicy.Rules, shared by check, fix and explain.
type ruleFlags struct {
	mode      trustpolicy.Mode
	patterns  []string
	federated []string
	sizeLimit int
}

func addRuleFlags(fs *flag.FlagSet) *ruleFlags {
	rf := &ruleFlags{mode: trustpolicy.ModeRequire, sizeLimit: trustpolicy.DefaultSizeLimit}
	fs.Func("mode", "Mode `allow|require` for AWS principals (and opted-in Federated providers).\n"+
		"allow: they can set a source identity (sts:SetSourceIdentity is allowed);\n"+
		"require: they must (a sts:SourceIdentity condition also refuses callers without one).\n"+
		"Default require", func(s string) error {
		m, err := trustpolicy.ParseMode(s)
		if err != nil {
			return fmt.Errorf("want allow or require")
		}
		rf.mode = m
		return nil
	})
	fs.Func("pattern", "Source-identity value `PATTERN` the condition accepts (StringLike: * and ?\n"+
		"are wildcards). Repeatable or comma-separated; write \\, for a literal comma.\n"+
		"Default * (any value)", func(s string) error {
		for _, p := range splitList(s) {
			if p == "" {
				return fmt.Errorf("empty pattern in %q", s)
			}
			rf.patterns = append(rf.patterns, p)
		}
		return nil
	})
	fs.Func("federated", "Federated `PROVIDER` whose statements follow --mode too: a SAML or OIDC\n"+
		"provider ARN, or a built-in name such as cognito-identity.amazonaws.com; * and ?\n"+
		"are wildcards. Repeatable or comma-separated. Opt in only providers that send a source\n"+
		"identity. By default Federated statements are left alone", func(s string) error {
		for _, p := range splitList(s) {
			if p == "" {
				return fmt.Errorf("empty provider in %q", s)
			}
			rf.federated = append(rf.federated, p)
		}
		return nil
	})
	fs.Func("size-limit", fmt.Sprintf("Trust-policy length quota of `N` characters (IAM's \"role trust policy length\");\n"+
		"a fix that would exceed it is refused. Default %d, from %d to %d", trustpolicy.DefaultSizeLimit, trustpolicy.MinSizeLimit, trustpolicy.MaxSizeLimit), func(s string) error {
		n, err := parseSizeLimit(s)
		if err != nil {
			return err
		}
		rf.sizeLimit = n
		return nil
	})
	return rf
}

// rules builds and validates the rules the flags describe.
// load reads the rules from the flags and the policy from args (a file, or standard input when
// there is none or it is "-"): the first steps of check, fix and explain. On failure it reports
// why on std.err and returns the exit status (exitUsage), else exitOK.
func (rf *ruleFlags) load(std stdio, cmd string, args []string) (trustpolicy.Rules, input, int) {
	rules, err := rf.rules()
	if err != nil {
		return trustpolicy.Rules{}, input{}, usageFail(std, cmd, err)
	}
	in, err := readInput(args, std.in)
	if err != nil {
		return trustpolicy.Rules{}, input{}, inputFail(std, cmd, err)
	}
	return rules, in, exitOK
}

func (rf *ruleFlags) rules() (trustpolicy.Rules, error) {
	r := trustpolicy.Rules{
		Mode:      rf.mode,
		Patterns:  rf.patterns,
		SizeLimit: rf.sizeLimit,
	}
	for _, p := range rf.federated {
		r.Federated = append(r.Federated, trustpolicy.FederatedRule{Provider: p, Mode: rf.mode})
	}
	if err := r.Validate(); err != nil {
		return r, err
	}
	return r, nil
}

// parseSizeLimit parses a --size-limit value; the accepted range is the engine's
// (trustpolicy.ValidateSizeLimit), the one place that knows IAM's quota.
func parseSizeLimit(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number of characters", s)
	}
	if err := trustpolicy.ValidateSizeLimit(n); err != nil {
		return 0, err
	}
	return n, nil
}

// splitList splits a comma-separated flag value; "\," is a literal comma.
func splitList(s string) []string {
	var (
		out []string
		cur strings.Builder
	)
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == ',':
			cur.WriteByte(',')
			i++
		case s[i] == ',':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}
