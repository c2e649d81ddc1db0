package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/orgestate"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/stsproxy"
)

// orgDemoRole is the role created in the member account.
const orgDemoRole = "payments-deployer"

// orgDemo is the demo's organization step (docs/organization.md): moto's default account
// becomes an organization's management account (the hub), a member account gets the member role,
// a role is created there with an open trust policy, and the hub's Enforce function (the same
// bootstrap, with MEMBER_ROLE_NAME) patches it through the member role, in that account only.
func orgDemo(ctx context.Context, w io.Writer, logf func(string, ...any), moto *motoserver.Server, boot, rie, mode string) error {
	cfg := moto.AWSConfig()
	org, err := orgestate.Create(ctx, cfg, 1)
	if err != nil {
		return err
	}
	member := org.Members[0]
	mc, err := orgestate.Member(ctx, cfg, member, "OrganizationAccountAccessRole")
	if err != nil {
		return err
	}
	const memberRole = "source-identity-guard/member"
	if err := orgestate.CreateMemberRole(ctx, mc, memberRole, orgestate.MemberTrustPolicy(org.ID, guardRoleARN)); err != nil {
		return err
	}
	open := string(policy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}`))
	memberIAM := iam.NewFromConfig(mc)
	if _, err := memberIAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(orgDemoRole), AssumeRolePolicyDocument: aws.String(open)}); err != nil {
		return fmt.Errorf("create %s in %s: %w", orgDemoRole, member, err)
	}
	before, err := trustPolicy(ctx, memberIAM, orgDemoRole)
	if err != nil {
		return err
	}
	const bus = "org-demo-findings"
	if _, err := eventbridge.NewFromConfig(cfg).CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		return err
	}
	proxy, err := stsproxy.Start(moto.URL)
	if err != nil {
		return err
	}
	defer proxy.Close()
	emu, err := lambdaemu.Run(ctx, lambdaemu.Config{Bootstrap: boot, RIE: rie, FunctionName: "source-identity-guard-enforce-hub",
		Env: append(moto.Env(), "AWS_ENDPOINT_URL="+proxy.URL, "MODE="+mode, "GUARD_ROLE_ARNS="+guardRoleARN,
			"FINDINGS_BUS_NAME="+bus, "MEMBER_ROLE_NAME="+memberRole)})
	if err != nil {
		return err
	}
	defer emu.Stop()
	logf("organization %s: hub %s, member %s (MEMBER_ROLE_NAME=%s)", org.ID, org.Management, member, memberRole)

	inv, err := emu.Invoke(ctx, orgestate.CreateRoleEvent(member, orgDemoRole, open, "org-demo-1"))
	if err != nil {
		return err
	}
	if f := inv.Failure(); f != "" {
		return fmt.Errorf("hub invoke for %s/%s failed: %s\n%s", member, orgDemoRole, f, emu.Output())
	}
	var out guard.Outcome
	if err := json.Unmarshal(inv.Payload, &out); err != nil {
		return fmt.Errorf("decode the hub's result %s: %w", inv.Payload, err)
	}
	after, err := trustPolicy(ctx, memberIAM, orgDemoRole)
	if err != nil {
		return err
	}
	// The hub's own account has no role of that name: the write went to the member account.
	_, hubErr := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(orgDemoRole)})

	fmt.Fprintf(w, "\n== Organization: a second account protected through the hub\n")
	fmt.Fprintf(w, "   hub (management account) %s, member account %s, member role %s\n", org.Management, member, memberRole)
	fmt.Fprintf(w, "   %s in %s: %s (account %s, published %v)\n", orgDemoRole, member, out.Decision, out.Account, out.Published)
	fmt.Fprintf(w, "   sts:AssumeRole calls: %d, source identity %q; nothing written in the hub's account (no role of that name there): %v\n",
		len(proxy.Calls()), sourceIdentities(proxy.Calls()), hubErr != nil)
	if bytes.Equal(before, after) {
		fmt.Fprintf(w, "   trust policy unchanged\n")
		return nil
	}
	fmt.Fprintf(w, "   trust policy (- before, + after):\n")
	for _, line := range lineDiff(pretty(before), pretty(after)) {
		fmt.Fprintf(w, "   %s\n", line)
	}
	return nil
}

func sourceIdentities(calls []stsproxy.Call) string {
	if len(calls) == 0 {
		return ""
	}
	return calls[0].SourceIdentity
}
