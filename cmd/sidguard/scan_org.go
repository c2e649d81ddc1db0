package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/source-identity-guard/source-identity-guard/shared/accountroles"
	"github.com/source-identity-guard/source-identity-guard/shared/apicalls"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/orgaccounts"
	"github.com/source-identity-guard/source-identity-guard/shared/orgsweep"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
)

// orgOptions are the flags of `sidguard scan --org`.
type orgOptions struct {
	on             bool
	memberRole     string
	sourceIdentity string
	parallel       int
}

// DefaultScanMemberRole is the role `scan --org` assumes in member accounts: the one
// Organizations creates in the accounts it creates, trusting the management account
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html).
// The guard's own member role trusts only the hub's functions, so a person passes --member-role
// for a role that trusts them.
const DefaultScanMemberRole = "OrganizationAccountAccessRole"

func (o *scanOptions) orgFlags(fs *flag.FlagSet) {
	o.org = orgOptions{memberRole: DefaultScanMemberRole, parallel: orgsweep.DefaultParallel}
	fs.BoolVar(&o.org.on, "org", false, "Scan every ACTIVE account of the organization (management account or\n"+
		"delegated administrator credentials); other accounts through --member-role")
	fs.Func("member-role", "Role `NAME` (may carry a path) assumed in the other accounts with --org. Default "+
		DefaultScanMemberRole, func(s string) error {
		n, err := accountroles.CleanRoleName(s)
		if err != nil {
			return err
		}
		o.org.memberRole = n
		return nil
	})
	fs.Func("source-identity", "Source identity `VALUE` set when assuming --member-role (default: none, the\n"+
		"caller's own carries over)", func(s string) error {
		if len(s) < 2 || len(s) > 64 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-") != "" {
			return errors.New("want 2-64 of A-Z a-z 0-9 _ + = , . @ -")
		}
		o.org.sourceIdentity = s
		return nil
	})
	fs.Func("account-concurrency", fmt.Sprintf("`N` accounts scanned at once with --org, 1 to %d. Default %d",
		orgsweep.MaxParallel, orgsweep.DefaultParallel), func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > orgsweep.MaxParallel {
			return fmt.Errorf("want a number from 1 to %d", orgsweep.MaxParallel)
		}
		o.org.parallel = n
		return nil
	})
}

// runOrg scans every ACTIVE account of the organization, o.org.parallel at once: the caller's
// own account with its credentials, the others through the member role. Each account prints a
// progress line on standard error when it is done; every record carries its account.
func (o *scanOptions) runOrg(ctx context.Context, std stdio, cfg aws.Config, counter *apicalls.Counter, policy guard.Policy) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(std.err, "sidguard scan --org: "+format+"\n", a...)
		return exitUsage
	}
	stsc := sts.NewFromConfig(cfg)
	me, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fail("find the caller's account (sts GetCallerIdentity): %v", err)
	}
	accounts, err := orgaccounts.List(ctx, organizations.NewFromConfig(cfg))
	if err != nil {
		return fail("%v (listing accounts needs the management account's or a delegated administrator's credentials)", err)
	}
	own := aws.ToString(me.Account)
	set, err := accountroles.New(accountroles.Config{
		Own: own, Partition: partitionOfARN(aws.ToString(me.Arn)), RoleName: o.org.memberRole, STS: stsc,
		SourceIdentity: o.org.sourceIdentity, InheritSourceIdentity: o.org.sourceIdentity == "",
		SessionName: "sidguard-scan",
	}, iamrole.New(iam.NewFromConfig(cfg)), func(_ string, creds aws.CredentialsProvider) *iamrole.Client {
		c := cfg.Copy()
		c.Credentials = creds
		return iamrole.New(iam.NewFromConfig(c))
	})
	if err != nil {
		return fail("%v", err)
	}

	out := newScanWriter(o.format, std.out, o.mode)
	out.org = true
	var mu sync.Mutex // one account's results at a time into out
	total := sweep.Summary{Counts: map[guard.Decision]int{}, Mode: policy.Mode, DryRun: !o.fix, Completed: true}
	if total.Mode == "" {
		total.Mode = guard.ModeRequire
	}
	var runErrs []error
	start := time.Now()
	sem := make(chan struct{}, o.org.parallel)
	var wg sync.WaitGroup
	for _, a := range accounts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			begin := time.Now()
			var results []sweep.Result
			roles, err := set.For(ctx, a.ID)
			var sum sweep.Summary
			var runErr error
			if err != nil {
				// The account is a failed record naming it and the reason; the others go on.
				results = append(results, sweep.Result{
					Role:    iamrole.Role{Name: o.org.memberRole, ARN: set.RoleARN(a.ID)},
					Verdict: guard.Verdict{Decision: guard.Failed, Reason: "account not scanned: " + err.Error(), Mode: total.Mode},
					Err:     err,
				})
				sum = sweep.Summary{Counts: map[guard.Decision]int{guard.Failed: 1}, Roles: 0}
			} else {
				s := &sweep.Sweeper{Roles: roles, Policy: policy, DryRun: !o.fix, Concurrency: o.concurrency}
				sum, runErr = s.Run(ctx, sweep.Position{}, func(r sweep.Result) { results = append(results, r) })
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range results {
				out.add(r)
			}
			bad := 0
			for _, r := range results {
				if nonCompliant(r.Verdict.Decision) {
					bad++
				}
			}
			line := fmt.Sprintf("account %s: %s, %d not compliant, %s", a.ID, plural(sum.Roles, "role"), bad,
				time.Since(begin).Round(time.Millisecond))
			switch {
			case err != nil:
				line = fmt.Sprintf("account %s: FAILED: %v", a.ID, err)
			case runErr != nil:
				line += fmt.Sprintf(", STOPPED: %v", runErr)
				runErrs = append(runErrs, fmt.Errorf("account %s: %w", a.ID, runErr))
			}
			if !o.noProgress {
				fmt.Fprintln(std.err, line)
			}
			total.Roles += sum.Roles
			total.Pages += sum.Pages
			total.Completed = total.Completed && err == nil && runErr == nil && sum.Completed
			for d, n := range sum.Counts {
				total.Counts[d] += n
			}
		}()
	}
	wg.Wait()
	_, total.ComplianceRatio = orgsweep.Ratio(total.Counts)
	total.APICalls = counter.Snapshot()
	if runErr := errors.Join(runErrs...); runErr != nil {
		// Some account could not be listed to the end: no compliance figure (engine rule).
		return o.failed(std, explainScanError("could not list the roles of every account", runErr), total, out)
	}
	if err := out.finish(total, time.Since(start)); err != nil {
		return fail("write output: %v", err)
	}
	fmt.Fprintf(std.err, "sidguard scan --org: %s scanned\n", plural(len(accounts), "account"))
	if n := total.Counts[guard.Failed]; n > 0 {
		return fail("%s could not be judged or written, or an account could not be reached (decision failed)", plural(n, "role"))
	}
	if total.Counts[guard.WouldPatch]+total.Counts[guard.Unfixable] > 0 {
		return exitFindings
	}
	return exitOK
}

// accountOfARN returns the account id of an ARN ("" if s is not one).
func accountOfARN(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// partitionOfARN returns the partition of an ARN ("aws" if s is not one).
func partitionOfARN(s string) string {
	if parts := strings.SplitN(s, ":", 3); len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}
