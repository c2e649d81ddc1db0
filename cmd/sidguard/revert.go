package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/source-identity-guard/source-identity-guard/shared/awsconfig"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/revert"
)

var revertCommand = &command{
	name:    "revert",
	args:    "[--dry-run] [--profile PROFILE] EVENT|-",
	summary: "put back the trust policy a role had before the guard patched it",
	help: `Reads a "Trust Policy Decision" event (the EventBridge event as the findings bus or its
archive holds it, or its detail alone) from EVENT (standard input when "-" or absent), reads the
role it names with the default credential chain (or --profile), and writes back the trust policy
from before the guard's write (policyBefore), but only when the role's live trust policy is
still the one the guard wrote (policyAfter). If anyone changed the role since, it writes nothing
and prints what changed: restoring the old policy would silently undo their change.

Only a "patched" decision wrote anything; any other decision has nothing to revert.

Exit status: 0 reverted (or, with --dry-run, would revert; or nothing to revert), 1 refused
(the role changed since the guard wrote it, or the credentials reach another account), 2
unusable input or an AWS error.`,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		dryRun := fs.Bool("dry-run", false, "Say what would be done; write nothing")
		profile := fs.String("profile", "", "Shared-config `PROFILE` to use (default: AWS_PROFILE or the default chain)")
		return func(std stdio, args []string) int {
			return runRevert(std, args, *dryRun, *profile)
		}
	},
}

// trustPolicies is what revert needs of IAM (satisfied by *iamrole.Client).
type trustPolicies interface {
	Get(ctx context.Context, name string) (iamrole.Role, error)
	UpdateTrustPolicy(ctx context.Context, name string, policy []byte) error
}

func runRevert(std stdio, args []string, dryRun bool, profile string) int {
	name := "-"
	if len(args) == 1 {
		name = args[0]
	}
	data, err := readEvent(std.in, name)
	if err != nil {
		fmt.Fprintf(std.err, "sidguard revert: %v\n", err)
		return exitUsage
	}
	req, err := revert.FromEvent(data)
	if err != nil {
		fmt.Fprintf(std.err, "sidguard revert: %s: %v\n", name, err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var opts awsconfig.Options
	if profile != "" {
		opts.Extra = append(opts.Extra, config.WithSharedConfigProfile(profile))
	}
	cfg, err := awsconfig.Load(ctx, opts)
	if err != nil {
		fmt.Fprintf(std.err, "sidguard revert: %v\n", err)
		return exitUsage
	}
	return revertRole(ctx, std, iamrole.New(iam.NewFromConfig(cfg)), req, dryRun)
}

func revertRole(ctx context.Context, std stdio, roles trustPolicies, req revert.Request, dryRun bool) int {
	role, err := roles.Get(ctx, req.RoleName)
	if err != nil {
		fmt.Fprintf(std.err, "sidguard revert: read role %s: %v\n", req.RoleARN, err)
		return exitUsage
	}
	plan, err := revert.Decide(req, role.ARN, role.TrustPolicy)
	if err != nil {
		fmt.Fprintf(std.err, "sidguard revert: %s: %v\n", req.RoleARN, err)
		return exitUsage
	}
	switch plan.Outcome {
	case revert.Nothing:
		fmt.Fprintf(std.out, "%s: nothing to revert: %s\n", req.RoleARN, plan.Reason)
		return exitOK
	case revert.Refused:
		fmt.Fprintf(std.out, "%s: refused: %s\n", req.RoleARN, plan.Reason)
		if len(plan.Diff) > 0 {
			fmt.Fprintln(std.out, "--- the trust policy the guard wrote\n+++ the trust policy now")
			fmt.Fprintln(std.out, strings.Join(plan.Diff, "\n"))
		}
		return exitFindings
	}
	if dryRun {
		fmt.Fprintf(std.out, "%s: would revert (dry run): %s\n", req.RoleARN, plan.Reason)
		return exitOK
	}
	if err := roles.UpdateTrustPolicy(ctx, req.RoleName, plan.Policy); err != nil {
		fmt.Fprintf(std.err, "sidguard revert: write trust policy of %s: %v\n", req.RoleARN, err)
		return exitUsage
	}
	fmt.Fprintf(std.out, "%s: reverted to the trust policy from before the guard's write\n", req.RoleARN)
	return exitOK
}

func readEvent(stdin io.Reader, name string) ([]byte, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, unwrapPathError(err))
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, errors.New(name + ": empty input")
	}
	return data, nil
}
