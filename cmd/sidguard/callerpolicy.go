package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/callerpolicy"
)

var callerPolicyCommand = &command{
	name:    "caller-policy",
	args:    "--role-arn ARN... [--for user|role-session] [--tag-key KEY] | --check FILE... [--format text|json]",
	summary: "print (or check) the identity policy that lets a caller set their own source identity",
	help: `Prints the identity policy a caller needs to assume the roles --role-arn names with a source
identity bound to themselves: sts:AssumeRole, and sts:SetSourceIdentity only when the value is
their own. For IAM users (--for user, the default) the value is bound with
StringLike sts:SourceIdentity ${aws:username}; for role sessions (--for role-session: IAM
Identity Center permission sets, federated roles) with ${aws:PrincipalTag/KEY}, a tag your
identity provider sets (--tag-key, default SourceIdentity). Attach it to the users' group or
the permission set. See docs/callers.md.

With --check FILE (or - for standard input), reads an existing identity policy and says
whether its holder can set a source identity on the roles (all the roles the policy names,
when no --role-arn is given) and whether the value is bound to them. It judges that one
document, or the documents given together (--check repeated): another policy of the holder
that allows sts:SetSourceIdentity without the condition unbinds the value, so give them all.

Exit status: 0 policy printed, or (--check) the holder can set a source identity and it is
bound to them; 1 (--check) cannot set one, or can set any value; 2 unusable input or bad flags.`,
	maxArgs: 0,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		var (
			roles  []string
			holder = callerpolicy.HolderUser
			tagKey string
			checks []string
		)
		fs.Func("role-arn", "`ARN` of a role to assume (* and ? allowed). Repeatable or comma-separated", func(s string) error {
			for _, r := range splitList(s) {
				if r == "" {
					return fmt.Errorf("empty role ARN in %q", s)
				}
				roles = append(roles, r)
			}
			return nil
		})
		fs.Func("for", "Who holds the policy: `user|role-session`. Default user", func(s string) error {
			h, err := callerpolicy.ParseHolder(s)
			if err != nil {
				return errors.New("want user or role-session")
			}
			holder = h
			return nil
		})
		fs.StringVar(&tagKey, "tag-key", "", "Principal tag `KEY` that carries a role session's source identity. Default "+callerpolicy.DefaultTagKey)
		fs.Func("check", "Check the identity policy in `FILE` (- for standard input) instead of printing one.\n"+
			"Repeatable: the holder's policies are judged together (an Allow in any, a Deny in any wins)", func(s string) error {
			checks = append(checks, s)
			return nil
		})
		format := addFormatFlag(fs)
		return func(std stdio, _ []string) int {
			if tagKey != "" && holder != callerpolicy.HolderRoleSession {
				return usageFail(std, "caller-policy", errors.New("--tag-key applies to --for role-session"))
			}
			if len(checks) > 0 {
				return runCallerPolicyCheck(std, checks, holder, roles, *format)
			}
			if *format != formatText {
				return usageFail(std, "caller-policy", errors.New("--format applies to --check (the policy is JSON)"))
			}
			out, err := callerpolicy.Generate(callerpolicy.Spec{Roles: roles, Holder: holder, TagKey: tagKey})
			if err != nil {
				return usageFail(std, "caller-policy", err)
			}
			if _, err := std.out.Write(out); err != nil {
				fmt.Fprintf(std.err, "sidguard caller-policy: write output: %v\n", err)
				return exitUsage
			}
			return exitOK
		}
	},
}

func runCallerPolicyCheck(std stdio, files []string, holder callerpolicy.Holder, roles []string, format string) int {
	var (
		names []string
		all   callerpolicy.Policy
	)
	for _, file := range files {
		name := file
		var (
			data []byte
			err  error
		)
		if file == "-" {
			name = "stdin"
			data, err = io.ReadAll(io.LimitReader(std.in, maxInput+1))
		} else {
			data, err = readFile(file)
		}
		if err == nil && len(data) > maxInput {
			err = fmt.Errorf("%s: input larger than %d bytes", name, maxInput)
		}
		if err != nil {
			return inputFail(std, "caller-policy", err)
		}
		p, err := callerpolicy.Parse(data)
		if err != nil {
			return inputFail(std, "caller-policy", fmt.Errorf("%s: %w", name, err))
		}
		names = append(names, name)
		all.Statements = append(all.Statements, p.Statements...)
	}
	p, name := &all, strings.Join(names, " + ")
	v := callerpolicy.Check(p, holder, roles)
	if format == formatJSON {
		report := struct {
			Input string `json:"input"`
			callerpolicy.Verdict
		}{name, v}
		if err := writeJSON(std.out, report); err != nil {
			fmt.Fprintf(std.err, "sidguard caller-policy: write output: %v\n", err)
			return exitUsage
		}
	} else {
		var b strings.Builder
		who := "an IAM user"
		if holder == callerpolicy.HolderRoleSession {
			who = "a role session"
		}
		yesNo := func(ok bool) string {
			if ok {
				return "yes"
			}
			return "NO"
		}
		fmt.Fprintf(&b, "%s, held by %s: can set a source identity: %s; bound to the holder: %s\n", name, who, yesNo(v.CanSet), yesNo(v.Bound))
		for _, r := range v.Roles {
			fmt.Fprintf(&b, "  %s: sts:AssumeRole %s, sts:SetSourceIdentity with their own value %s, bound %s", r.Role, yesNo(r.CanAssume), yesNo(r.CanSet), yesNo(r.Bound))
			if r.OtherValue != "" {
				fmt.Fprintf(&b, " (the holder may also set %q)", r.OtherValue)
			}
			if r.Uncertain {
				b.WriteString(" (a condition sidguard cannot evaluate is involved)")
			}
			b.WriteString("\n")
		}
		if !v.OK {
			b.WriteString(`"sidguard caller-policy --role-arn ARN` + map[bool]string{true: " --for role-session", false: ""}[holder == callerpolicy.HolderRoleSession] + `" prints a policy that is both` + "\n")
		}
		if _, err := io.WriteString(std.out, b.String()); err != nil {
			fmt.Fprintf(std.err, "sidguard caller-policy: write output: %v\n", err)
			return exitUsage
		}
	}
	if !v.OK {
		return exitFindings
	}
	return exitOK
}
