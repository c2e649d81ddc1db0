package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// Bypass 1, through the real bootstrap against moto (with an organization whose management
// account is moto's): a role named like one AWS creates is exempt only at path / and only
// while it trusts just the management account; the exemption is published. A role named
// stacksets-exec-* under /evil/ trusting an outside account is patched.
func TestAWSRoleNamesExemptOnlyInTheirAWSShape(t *testing.T) {
	h := newHarness(t)
	if _, err := organizations.NewFromConfig(h.moto.AWSConfig()).CreateOrganization(h.ctx, &organizations.CreateOrganizationInput{
		FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatalf("create organization in moto: %v", err)
	}
	mgmt := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + motoserver.AccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	outsider := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	event := sample(t, "create-role-aws-principal.json")
	for _, c := range []struct {
		name, path, policy string
		want               guard.Decision
		reason             string
	}{
		{"OrganizationAccountAccessRole", "/", mgmt, guard.Exempt, "management account " + motoserver.AccountID},
		{"AWSControlTowerExecution", "/", outsider, guard.Patched, "not the one AWS gives it"},
		{"stacksets-exec-x", "/evil/", outsider, guard.Patched, "on path /evil/"},
	} {
		h.createRole(t, c.name, c.path, []byte(c.policy), nil)
		out, calls := h.invoke(t, withRoleName(t, event, c.name))
		if out.Decision != c.want || !strings.Contains(out.Reason, c.reason) {
			t.Errorf("%s: decision = %s (%s); want %s, reason containing %q", c.name, out.Decision, out.Reason, c.want, c.reason)
		}
		if calls["organizations.DescribeOrganization"] > 1 {
			t.Errorf("%s: %d DescribeOrganization calls; want at most one per execution environment", c.name, calls["organizations.DescribeOrganization"])
		}
		ds := h.decisions(t)
		if len(ds) != 1 || ds[0].Decision != c.want {
			t.Fatalf("%s: decision events %+v; want one %s (every exemption is published)", c.name, ds, c.want)
		}
		if c.want == guard.Exempt && ds[0].ExemptBy != "aws-role:OrganizationAccountAccessRole" {
			t.Errorf("%s: exemptBy %q", c.name, ds[0].ExemptBy)
		}
		if c.want == guard.Patched {
			checkCompliant(t, h.trustPolicy(t, c.name), requireRules)
		}
	}
}

// Bypass 1: without an organization to read, an AWS role name exempts nothing.
func TestAWSRoleNameWithoutOrganizationIsJudged(t *testing.T) {
	h := newHarness(t)
	mgmt := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + motoserver.AccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	h.createRole(t, "OrganizationAccountAccessRole", "/", []byte(mgmt), nil)
	out, _ := h.invoke(t, withRoleName(t, sample(t, "create-role-aws-principal.json"), "OrganizationAccountAccessRole"))
	if out.Decision != guard.Patched || !strings.Contains(out.Reason, "management account is unknown") {
		t.Errorf("decision = %s (%s); want patched, the refused exemption named", out.Decision, out.Reason)
	}
}

// Bypass 4: a call made from a session of the guard's role that is not the function's own
// Lambda session (another session name: a re-trusted role, copied credentials) is judged.
func TestOtherSessionOfTheGuardsRoleIsJudged(t *testing.T) {
	h := newHarness(t)
	open := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`)
	h.createRole(t, "victim", "", open, nil)
	self := withRoleName(t, sample(t, "guard-self-update.json"), "victim")
	stolen := []byte(strings.ReplaceAll(string(self), "/source-identity-guard-EnforceFunction-EXAMPLE", "/attacker"))
	out, _ := h.invoke(t, stolen)
	if out.Decision != guard.Patched {
		t.Errorf("decision = %s (%s); want patched: only the function's own session is skipped", out.Decision, out.Reason)
	}
	out, calls := h.invoke(t, self)
	if out.Decision != guard.Skipped || len(calls) != 0 {
		t.Errorf("the function's own session: decision = %s, calls %v; want skipped, no calls", out.Decision, calls)
	}
}

// Bypass 7: the function reads the queue between the rule and itself. A batch whose records
// carry EventBridge events is handled record by record; a record that can never be handled
// (not an event) is reported in batchItemFailures, so that it goes back to the queue and then
// to the dead-letter queue, and the other records are done.
func TestSQSBatchWithPartialFailure(t *testing.T) {
	h := newHarness(t)
	event := sample(t, "create-role-aws-principal.json")
	c, err := call(t, event)
	if err != nil {
		t.Fatal(err)
	}
	h.createRole(t, c.RoleName, "", c.Policy, nil)
	batch := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m-ok", EventSource: "aws:sqs", Body: string(event)},
		{MessageId: "m-bad", EventSource: "aws:sqs", Body: "not an event"},
	}}
	payload, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := h.emu.Invoke(h.ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	if f := inv.Failure(); f != "" {
		t.Fatalf("invoke: %s", f)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(inv.Payload, &resp); err != nil {
		t.Fatalf("response %s: %v", inv.Payload, err)
	}
	if diff := cmp.Diff([]events.SQSBatchItemFailure{{ItemIdentifier: "m-bad"}}, resp.BatchItemFailures); diff != "" {
		t.Errorf("batchItemFailures (-want +got):\n%s", diff)
	}
	checkCompliant(t, h.trustPolicy(t, c.RoleName), requireRules)
	if ds := h.decisions(t); len(ds) != 1 || ds[0].Decision != guard.Patched {
		t.Errorf("decision events %+v; want one patched", ds)
	}
}
