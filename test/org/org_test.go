package org

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/orgestate"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/stsproxy"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

const (
	memberRole = "source-identity-guard/member"
	bus        = "findings"
	openPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	outsider   = "999988887777"
)

// world is an organization in moto: the hub (management account) and members A, B (with the
// member role) and C (without: its AssumeRole is refused by the proxy).
type world struct {
	srv      *motoserver.Server
	proxy    *stsproxy.Proxy
	org      orgestate.Org
	hub      string
	a, b, c  string
	hubRoles []string
	cfgs     map[string]aws.Config // per account, straight to moto
	queue    string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	srv := motoserver.Start(t)
	ctx := t.Context()
	cfg := srv.AWSConfig()
	o, err := orgestate.Create(ctx, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{srv: srv, org: o, hub: o.Management, a: o.Members[0], b: o.Members[1], c: o.Members[2],
		cfgs: map[string]aws.Config{o.Management: cfg}}
	w.hubRoles = []string{
		"arn:aws:iam::" + w.hub + ":role/source-identity-guard/sig/EnforceFunctionRole",
		"arn:aws:iam::" + w.hub + ":role/source-identity-guard/sig/SweepFunctionRole",
	}
	for _, m := range o.Members {
		mc, err := orgestate.Member(ctx, cfg, m, "OrganizationAccountAccessRole")
		if err != nil {
			t.Fatal(err)
		}
		w.cfgs[m] = mc
		if m != w.c {
			if err := orgestate.CreateMemberRole(ctx, mc, memberRole, orgestate.MemberTrustPolicy(o.ID, w.hubRoles...)); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.proxy, err = stsproxy.Start(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.proxy.Close() })
	w.proxy.Deny(w.c)

	// Decision and summary events: findings bus -> rule -> SQS.
	ebc, sqsc := eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	if _, err := ebc.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("decisions")})
	if err != nil {
		t.Fatal(err)
	}
	w.queue = aws.ToString(q.QueueUrl)
	if _, err := ebc.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("all"), EventBusName: aws.String(bus),
		EventPattern: aws.String(fmt.Sprintf(`{"source":[%q]}`, guard.EventSource))}); err != nil {
		t.Fatal(err)
	}
	if _, err := ebc.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("all"), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String("arn:aws:sqs:us-east-1:" + w.hub + ":decisions")}}}); err != nil {
		t.Fatal(err)
	}
	return w
}

// env is the hub functions' environment, as template.yaml sets it in organization mode.
func (w *world) env(extra ...string) []string {
	return append(append(w.srv.Env(), "AWS_ENDPOINT_URL="+w.proxy.URL, "FINDINGS_BUS_NAME="+bus,
		"GUARD_ROLE_ARNS="+strings.Join(w.hubRoles, ","), "MEMBER_ROLE_NAME="+memberRole), extra...)
}

func (w *world) createRole(t *testing.T, account, name, policy string) {
	t.Helper()
	if _, err := iam.NewFromConfig(w.cfgs[account]).CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
}

func (w *world) policy(t *testing.T, account, name string) string {
	t.Helper()
	out, err := iam.NewFromConfig(w.cfgs[account]).GetRole(t.Context(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := url.PathUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func compliant(t *testing.T, doc string) bool {
	t.Helper()
	d, err := trustpolicy.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return len(trustpolicy.Check(d, trustpolicy.Rules{Mode: trustpolicy.ModeRequire, Patterns: []string{"*"}})) == 0
}

type message struct {
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// drain reads the queue until done says the messages are all there, or 20 s passed.
func (w *world) drain(t *testing.T, done func([]message) bool) []message {
	t.Helper()
	sqsc := sqs.NewFromConfig(w.cfgs[w.hub])
	var out []message
	deadline := time.Now().Add(20 * time.Second)
	for !done(out) && time.Now().Before(deadline) {
		res, err := sqsc.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.queue),
			MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Messages {
			var msg message
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &msg); err != nil {
				t.Fatal(err)
			}
			out = append(out, msg)
		}
	}
	return out
}

func decisions(t *testing.T, msgs []message) map[string]guard.DecisionEvent {
	t.Helper()
	out := map[string]guard.DecisionEvent{}
	for _, m := range msgs {
		if m.DetailType != guard.EventDetailType {
			continue
		}
		var d guard.DecisionEvent
		if err := json.Unmarshal(m.Detail, &d); err != nil {
			t.Fatal(err)
		}
		out[d.Account+"/"+d.RoleName] = d
	}
	return out
}

// TestEnforceAcrossAccounts: events from member accounts patch the role in that account and
// nowhere else; the member role is assumed once per account with the fixed source identity;
// an account without the member role, and one outside the organization, are published failed
// decisions naming the account and the reason, and the function does not return an error.
func TestEnforceAcrossAccounts(t *testing.T) {
	w := newWorld(t)
	// The same role name in the hub and in A and B: only the account named by the event changes.
	for _, acct := range []string{w.hub, w.a, w.b} {
		w.createRole(t, acct, "app-deployer", openPolicy)
	}
	w.createRole(t, w.a, "ci-runner", openPolicy)
	hubBefore := w.policy(t, w.hub, "app-deployer")

	emu := lambdaemu.Start(t, lambdaemu.Config{
		Bootstrap:    lambdaemu.BuildFunction(t, "./functions/enforce"),
		FunctionName: "enforce",
		Env:          w.env("MODE=require"),
	})
	type ev struct{ account, role string }
	events := []ev{{w.a, "app-deployer"}, {w.a, "ci-runner"}, {w.b, "app-deployer"}, {w.a, "app-deployer"},
		{w.c, "app-deployer"}, {outsider, "app-deployer"}}
	want := []guard.Decision{guard.Patched, guard.Patched, guard.Patched, guard.Compliant, guard.Failed, guard.Failed}
	for i, e := range events {
		inv, err := emu.Invoke(t.Context(), orgestate.CreateRoleEvent(e.account, e.role, openPolicy, fmt.Sprintf("evt-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if f := inv.Failure(); f != "" {
			t.Fatalf("event %d (%s): the function returned an error (a retry storm): %s", i, e.account, f)
		}
		var out struct {
			Account   string         `json:"account"`
			Decision  guard.Decision `json:"decision"`
			Reason    string         `json:"reason"`
			Published bool           `json:"published"`
		}
		if err := json.Unmarshal(inv.Payload, &out); err != nil {
			t.Fatal(err)
		}
		if out.Decision != want[i] || out.Account != e.account {
			t.Errorf("event %d (%s/%s): %s", i, e.account, e.role, inv.Payload)
		}
		if out.Decision == guard.Failed && (!out.Published || !strings.Contains(out.Reason, e.account)) {
			t.Errorf("event %d: failed decision not published or not naming the account: %s", i, inv.Payload)
		}
	}
	for _, r := range []ev{{w.a, "app-deployer"}, {w.a, "ci-runner"}, {w.b, "app-deployer"}} {
		if !compliant(t, w.policy(t, r.account, r.role)) {
			t.Errorf("%s/%s not patched: %s", r.account, r.role, w.policy(t, r.account, r.role))
		}
	}
	if got := w.policy(t, w.hub, "app-deployer"); got != hubBefore {
		t.Errorf("the hub's role of the same name changed: %s", got)
	}
	// One AssumeRole per account (A had three events), each with the fixed source identity;
	// none for the outsider (refused before any call).
	per := w.proxy.PerAccount()
	if per[w.a] != 1 || per[w.b] != 1 || per[w.c] != 1 || per[outsider] != 0 || per[w.hub] != 0 {
		t.Errorf("AssumeRole per account = %v", per)
	}
	for _, c := range w.proxy.Calls() {
		if c.SourceIdentity != "source-identity-guard" || c.RoleARN != "arn:aws:iam::"+c.Account()+":role/"+memberRole {
			t.Errorf("AssumeRole call %+v", c)
		}
	}
	got := decisions(t, w.drain(t, func(m []message) bool { return len(m) >= 5 }))
	for key, reason := range map[string]string{w.c + "/app-deployer": "cannot be assumed", outsider + "/app-deployer": "not an ACTIVE account"} {
		d, ok := got[key]
		if !ok || d.Decision != guard.Failed || !strings.Contains(d.Reason, reason) || !strings.Contains(d.Reason, d.Account) {
			t.Errorf("decision event %s = %+v (ok %v); want failed with %q", key, d, ok, reason)
		}
	}
	for _, key := range []string{w.a + "/app-deployer", w.a + "/ci-runner", w.b + "/app-deployer"} {
		if d := got[key]; d.Decision != guard.Patched || !strings.Contains(d.RoleARN, ":"+d.Account+":") {
			t.Errorf("decision event %s = %+v", key, d)
		}
	}
}

// TestSweepOrganization: SWEEP_SCOPE=organization sweeps every account, each with its own
// Sweep Summary, plus one for the organization; the account without the member role is a
// published failed decision and the others are still swept.
func TestSweepOrganization(t *testing.T) {
	w := newWorld(t)
	for _, acct := range []string{w.hub, w.a, w.b} {
		w.createRole(t, acct, "legacy-"+acct[:4], openPolicy)
	}
	emu := lambdaemu.Start(t, lambdaemu.Config{
		Bootstrap:    lambdaemu.BuildFunction(t, "./functions/sweep"),
		FunctionName: "sweep",
		Env:          w.env("SWEEP_MODE=require", "SWEEP_SCOPE=organization", "SWEEP_ACCOUNT_CONCURRENCY=2"),
	})
	inv, err := emu.Invoke(t.Context(), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sweep invocation took %v", inv.Latency)
	if f := inv.Failure(); f != "" {
		t.Fatalf("invoke: %s", f)
	}
	var sum struct {
		Scope          string         `json:"scope"`
		Account        string         `json:"account"`
		Accounts       int            `json:"accounts"`
		AccountsFailed int            `json:"accountsFailed"`
		Completed      bool           `json:"completed"`
		Counts         map[string]int `json:"counts"`
		APICalls       map[string]int `json:"apiCalls"`
		PerAccount     []struct {
			Account   string `json:"account"`
			Completed bool   `json:"completed"`
			Error     string `json:"error"`
		} `json:"perAccount"`
	}
	if err := json.Unmarshal(inv.Payload, &sum); err != nil {
		t.Fatal(err)
	}
	// One ListRoles per swept account (each has one page), one AssumeRole per member reached
	// (C's is refused), counted by the function's SDK counter.
	if sum.APICalls["IAM.ListRoles"] != 3 || sum.APICalls["STS.AssumeRole"] != 3 || sum.APICalls["Organizations.ListAccounts"] < 1 {
		t.Errorf("apiCalls = %v", sum.APICalls)
	}
	if sum.Scope != "organization" || sum.Account != w.hub || sum.Accounts != 4 || sum.AccountsFailed != 1 || sum.Completed {
		t.Errorf("org summary = %s", inv.Payload)
	}
	for _, p := range sum.PerAccount {
		if (p.Account == w.c) != (p.Error != "") || (p.Account == w.c) == p.Completed {
			t.Errorf("account line %+v", p)
		}
	}
	for _, acct := range []string{w.hub, w.a, w.b} {
		if doc := w.policy(t, acct, "legacy-"+acct[:4]); !compliant(t, doc) {
			t.Errorf("%s: legacy role not patched: %s", acct, doc)
		}
	}
	// The organization's summary is the last event the run publishes.
	msgs := w.drain(t, func(ms []message) bool {
		for _, m := range ms {
			var s struct {
				Scope string `json:"scope"`
			}
			if m.DetailType == "Sweep Summary" && json.Unmarshal(m.Detail, &s) == nil && s.Scope == "organization" {
				return true
			}
		}
		return false
	})
	summaries := map[string]int{}
	org := 0
	for _, m := range msgs {
		if m.DetailType != "Sweep Summary" {
			continue
		}
		var s struct {
			Scope   string `json:"scope"`
			Account string `json:"account"`
		}
		if err := json.Unmarshal(m.Detail, &s); err != nil {
			t.Fatal(err)
		}
		if s.Scope == "organization" {
			org++
		} else {
			summaries[s.Account]++
		}
	}
	if org != 1 || len(summaries) != 4 || summaries[w.hub] != 1 || summaries[w.a] != 1 || summaries[w.b] != 1 || summaries[w.c] != 1 {
		t.Errorf("summaries: org %d, per account %v", org, summaries)
	}
	ds := decisions(t, msgs)
	if d, ok := ds[w.c+"/"]; !ok || d.Decision != guard.Failed || !strings.Contains(d.Reason, "cannot be assumed") {
		t.Errorf("account without the member role: %+v (ok %v)", d, ok)
	}
	for key, d := range ds {
		if d.RoleARN != "" && !strings.Contains(d.RoleARN, ":"+d.Account+":") {
			t.Errorf("decision %s names account %s for %s", key, d.Account, d.RoleARN)
		}
	}
	if per := w.proxy.PerAccount(); per[w.a] != 1 || per[w.b] != 1 || per[w.hub] != 0 {
		t.Errorf("AssumeRole per account = %v", per)
	}
	// One position per account: the hub's in SWEEP_POSITION_PARAMETER, each member's below it;
	// none for the account that was not swept.
	ssmc := ssm.NewFromConfig(w.cfgs[w.hub])
	for acct, name := range map[string]string{w.hub: "/source-identity-guard/sweep-position",
		w.a: "/source-identity-guard/sweep-position/" + w.a, w.b: "/source-identity-guard/sweep-position/" + w.b,
		w.c: "/source-identity-guard/sweep-position/" + w.c} {
		_, err := ssmc.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String(name)})
		if (err == nil) != (acct != w.c) {
			t.Errorf("position of %s (%s): %v", acct, name, err)
		}
	}
}
