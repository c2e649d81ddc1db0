package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/orgestate"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/stsproxy"
)

const (
	memberRole = "source-identity-guard/member"
	benchBus   = "bench-findings"
)

// assumeBench sends o.events CreateRole events, round robin over o.accounts member accounts, to
// the real Enforce bootstrap under the emulator, and counts sts:AssumeRole per account.
func assumeBench(ctx context.Context, w io.Writer, o options) error {
	fmt.Fprintf(w, "== AssumeRole: %d CreateRole events over %d member accounts (Enforce bootstrap under the emulator, moto_server)\n",
		o.events, o.accounts)
	srv, err := motoserver.Run(ctx)
	if err != nil {
		return err
	}
	defer srv.Stop()
	cfg := srv.AWSConfig()
	org, err := orgestate.Create(ctx, cfg, o.accounts)
	if err != nil {
		return err
	}
	hubRoles := []string{"arn:aws:iam::" + org.Management + ":role/source-identity-guard/bench/EnforceFunctionRole"}
	perAccount := (o.events + o.accounts - 1) / o.accounts
	for _, m := range org.Members {
		mc, err := orgestate.Member(ctx, cfg, m, "OrganizationAccountAccessRole")
		if err != nil {
			return err
		}
		if err := orgestate.CreateMemberRole(ctx, mc, memberRole, orgestate.MemberTrustPolicy(org.ID, hubRoles...)); err != nil {
			return err
		}
		for i := range perAccount {
			if _, err := iam.NewFromConfig(mc).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("app-%03d", i)),
				AssumeRolePolicyDocument: aws.String(modelOpen)}); err != nil {
				return err
			}
		}
	}
	if _, err := eventbridge.NewFromConfig(cfg).CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(benchBus)}); err != nil {
		return err
	}
	proxy, err := stsproxy.Start(srv.URL)
	if err != nil {
		return err
	}
	defer proxy.Close()

	dir, err := os.MkdirTemp("", "benchorg")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	boot, err := lambdaemu.Build(ctx, "./functions/enforce", dir)
	if err != nil {
		return err
	}
	rie, err := lambdaemu.EnsureRIE(ctx)
	if err != nil {
		return err
	}
	emu, err := lambdaemu.Run(ctx, lambdaemu.Config{Bootstrap: boot, RIE: rie, FunctionName: "enforce",
		Env: append(srv.Env(), "AWS_ENDPOINT_URL="+proxy.URL, "MODE=require", "FINDINGS_BUS_NAME="+benchBus,
			"GUARD_ROLE_ARNS="+strings.Join(hubRoles, ","), "MEMBER_ROLE_NAME="+memberRole)})
	if err != nil {
		return err
	}
	defer emu.Stop()

	decisions := map[guard.Decision]int{}
	t0 := time.Now()
	for i := range o.events {
		account := org.Members[i%o.accounts]
		role := fmt.Sprintf("app-%03d", i/o.accounts)
		inv, err := emu.Invoke(ctx, orgestate.CreateRoleEvent(account, role, modelOpen, fmt.Sprintf("bench-%04d", i)))
		if err != nil {
			return err
		}
		if f := inv.Failure(); f != "" {
			return fmt.Errorf("event %d: %s", i, f)
		}
		var out struct {
			Decision guard.Decision `json:"decision"`
			Account  string         `json:"account"`
		}
		if err := json.Unmarshal(inv.Payload, &out); err != nil {
			return err
		}
		if out.Account != account {
			return fmt.Errorf("event %d for %s answered for %s", i, account, out.Account)
		}
		decisions[out.Decision]++
	}
	took := time.Since(t0)
	per := proxy.PerAccount()
	var counts []int
	for _, m := range org.Members {
		counts = append(counts, per[m])
	}
	maxCalls := slices.Max(counts)
	fmt.Fprintf(w, "   %d events in %v, decisions %v\n", o.events, took.Round(time.Millisecond), decisions)
	fmt.Fprintf(w, "   AssumeRole per member account: %v (total %d; hub %d); at most %d per account within one credential lifetime (goal <= 1: %s)\n",
		counts, len(proxy.Calls()), per[org.Management], maxCalls, verdict(maxCalls <= 1 && per[org.Management] == 0))
	return nil
}
