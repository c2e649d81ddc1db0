package template

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/accountroles"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// Test values of the member template's parameters, as the hub's StackSet passes them.
var memberParams = map[string]any{
	"HubEventBusArn": "arn:aws:events:us-east-1:" + testAccount + ":event-bus/source-identity-guard-" + testStack,
	"HubRoleArns":    []any{roleARN("EnforceFunctionRole"), roleARN("SweepFunctionRole")},
	"HubAccountId":   testAccount,
	"OrganizationId": "o-exampleorgid",
}

const memberAccount = "444455556666"

// plain is a plain CloudFormation template decoded from JSON.
type plain struct {
	Transform  any                       `json:"Transform"`
	Parameters map[string]map[string]any `json:"Parameters"`
	Conditions map[string]any            `json:"Conditions"`
	Resources  map[string]resource       `json:"Resources"`
}

// memberTemplate decodes member-template.yaml (no transform applied).
func memberTemplate(t *testing.T) (*plain, []byte) {
	t.Helper()
	expand(t) // skips like the other template tests when samtranslator is missing
	path, err := filepath.Abs(filepath.Join("..", "..", "member-template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", filepath.Join("testdata", "cfn_json.py"), path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("decode member-template.yaml: %v\n%s", err, stderr.String())
	}
	var tpl plain
	if err := json.Unmarshal(out, &tpl); err != nil {
		t.Fatal(err)
	}
	return &tpl, out
}

// resolveMember resolves the member template's intrinsics in v for memberAccount: Ref of its
// parameters (memberParams, else the default) and pseudo parameters, Fn::Sub strings,
// Fn::GetAtt <role>.Arn.
func (m *plain) resolve(t *testing.T, v any) any {
	t.Helper()
	ref := func(name string) any {
		switch name {
		case "AWS::AccountId":
			return memberAccount
		case "AWS::Partition":
			return testPartition
		case "AWS::Region":
			return testRegion
		}
		if v, ok := memberParams[name]; ok {
			return v
		}
		if p, ok := m.Parameters[name]; ok {
			if d, ok := p["Default"]; ok {
				return d
			}
		}
		t.Fatalf("Ref %s: no test value", name)
		return nil
	}
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = m.resolve(t, e)
		}
		return out
	case map[string]any:
		if r, ok := v["Ref"]; ok && len(v) == 1 {
			return ref(r.(string))
		}
		if s, ok := v["Fn::Sub"].(string); ok && len(v) == 1 {
			return subVar.ReplaceAllStringFunc(s, func(x string) string { return fmt.Sprint(ref(x[2 : len(x)-1])) })
		}
		if ga, ok := v["Fn::GetAtt"].([]any); ok && len(v) == 1 {
			return fmt.Sprintf("arn:aws:iam::%s:role/%s", memberAccount, ga[0])
		}
		out := map[string]any{}
		for k, e := range v {
			if strings.HasPrefix(k, "Fn::") {
				t.Fatalf("%s: no test value", k)
			}
			out[k] = m.resolve(t, e)
		}
		return out
	}
	return v
}

func TestMemberTemplateLintsCleanWithoutTransform(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		missingTool(t, "cfn-lint not on PATH", "cfn-lint 1.51 ships with the image's Python")
	}
	out, err := exec.Command(lint, "--", filepath.Join("..", "..", "member-template.yaml")).CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint member-template.yaml: %v\n%s", err, out)
	}
	tpl, raw := memberTemplate(t)
	// Service-managed StackSets refuse macros: no Transform, no SAM or Include anywhere.
	if tpl.Transform != nil {
		t.Errorf("member-template.yaml has a Transform: %v", tpl.Transform)
	}
	for _, banned := range []string{"AWS::Serverless", "AWS::Include", "Fn::Transform"} {
		if bytes.Contains(raw, []byte(banned)) {
			t.Errorf("member-template.yaml uses %s", banned)
		}
	}
	for id, r := range tpl.Resources {
		if strings.HasPrefix(r.Type, "AWS::Serverless::") || r.Type == "AWS::CloudFormation::Stack" {
			t.Errorf("resource %s: %s cannot be deployed by a service-managed StackSet", id, r.Type)
		}
	}
}

// The member role's trust policy, as deployed, passes the engine's check (the code behind
// `sidguard check`, default rules: require, any source identity), trusts exactly the hub's
// function roles, only inside the organization, and only with the guard's source identity.
func TestMemberRoleTrustPolicyPassesCheck(t *testing.T) {
	tpl, _ := memberTemplate(t)
	role, ok := tpl.Resources["MemberRole"]
	if !ok || role.Type != "AWS::IAM::Role" {
		t.Fatalf("no MemberRole: %+v", tpl.Resources)
	}
	doc, err := json.Marshal(tpl.resolve(t, role.Properties["AssumeRolePolicyDocument"]))
	if err != nil {
		t.Fatal(err)
	}
	d, err := trustpolicy.Parse(doc)
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	if f := trustpolicy.Check(d, trustpolicy.Rules{Mode: trustpolicy.ModeRequire}); len(f) != 0 {
		t.Errorf("sidguard check findings on the member role: %+v\n%s", f, doc)
	}
	// What the hub sends gets in; anything else does not.
	hub := roleARN("EnforceFunctionRole")
	ctx := func(si, org string) map[string][]string {
		c := map[string][]string{"aws:PrincipalOrgID": {org}}
		if si != "" {
			c["sts:SourceIdentity"] = []string{si}
		}
		return c
	}
	cases := []struct {
		name, principal, action string
		context                 map[string][]string
		allow                   bool
	}{
		{"hub with its source identity", hub, "sts:AssumeRole", ctx("source-identity-guard", "o-exampleorgid"), true},
		{"hub sets it", hub, "sts:SetSourceIdentity", ctx("source-identity-guard", "o-exampleorgid"), true},
		{"hub without a source identity", hub, "sts:AssumeRole", ctx("", "o-exampleorgid"), false},
		{"hub with another source identity", hub, "sts:AssumeRole", ctx("alice", "o-exampleorgid"), false},
		{"outside the organization", hub, "sts:AssumeRole", ctx("source-identity-guard", "o-otherorg0000"), false},
		{"another role of the hub account", "arn:aws:iam::" + testAccount + ":role/other", "sts:AssumeRole", ctx("source-identity-guard", "o-exampleorgid"), false},
		{"the hub account's root", "arn:aws:iam::" + testAccount + ":root", "sts:AssumeRole", ctx("source-identity-guard", "o-exampleorgid"), false},
	}
	for _, c := range cases {
		r := trustpolicy.Evaluate(d, trustpolicy.Request{Principal: "AWS:" + c.principal, Action: c.action, Context: c.context})
		if r.Allowed() != c.allow || r.Uncertain {
			t.Errorf("%s: %+v; want allowed %v", c.name, r, c.allow)
		}
	}
}

// Least privilege: the four IAM actions the guard uses, on this account's roles, and an explicit
// Deny on changing the member stack's own roles.
func TestMemberRolePermissions(t *testing.T) {
	tpl, _ := memberTemplate(t)
	role := tpl.Resources["MemberRole"]
	policies := tpl.resolve(t, role.Properties["Policies"]).([]any)
	if len(policies) != 1 {
		t.Fatalf("policies = %v", policies)
	}
	var allowed []string
	var denied map[string]any
	for _, st := range lookupList(t, policies[0], "PolicyDocument", "Statement") {
		s := st.(map[string]any)
		switch s["Effect"] {
		case "Allow":
			allowed = append(allowed, asList(s["Action"])...)
			for _, res := range asList(s["Resource"]) {
				if res != "*" && res != "arn:aws:iam::"+memberAccount+":role/*" {
					t.Errorf("allow on %s", res)
				}
			}
		case "Deny":
			denied = s
		}
	}
	slices.Sort(allowed)
	if diff := cmp.Diff([]string{"iam:GetRole", "iam:ListRoleTags", "iam:ListRoles", "iam:UpdateAssumeRolePolicy"}, allowed); diff != "" {
		t.Errorf("allowed actions (-want +got):\n%s", diff)
	}
	if denied == nil || !slices.Contains(asList(denied["Action"]), "iam:UpdateAssumeRolePolicy") {
		t.Fatalf("no Deny of iam:UpdateAssumeRolePolicy: %v", denied)
	}
	// The Deny covers the member role itself and the forwarder role's path.
	memberARN := "arn:aws:iam::" + memberAccount + ":role/source-identity-guard/member"
	fwdPath := tpl.resolve(t, tpl.Resources["ForwarderRole"].Properties["Path"]).(string)
	resources := asList(denied["Resource"])
	if !slices.Contains(resources, memberARN) || !slices.Contains(resources, "arn:aws:iam::"+memberAccount+":role"+fwdPath+"*") {
		t.Errorf("Deny resources %v do not cover %s and path %s", resources, memberARN, fwdPath)
	}
	// The hub assumes exactly this role: MEMBER_ROLE_NAME's ARN in the member account.
	got := "arn:aws:iam::" + memberAccount + ":role" + fmt.Sprint(tpl.resolve(t, role.Properties["Path"])) + fmt.Sprint(tpl.resolve(t, role.Properties["RoleName"]))
	if got != memberARN {
		t.Errorf("member role ARN %s; want %s", got, memberARN)
	}
}

// The member's rule forwards what the hub listens to (the same event names and filters, failed
// calls dropped there) to the hub bus, with a role, and is not made in the hub's own account.
func TestMemberForwardingRule(t *testing.T) {
	tpl, _ := memberTemplate(t)
	rule := tpl.Resources["ForwardIamEventsRule"]
	if rule.Type != "AWS::Events::Rule" || rule.Condition != "ForwardEvents" || rule.Properties["EventBusName"] != "default" {
		t.Fatalf("ForwardIamEventsRule = %+v", rule)
	}
	want := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AWS::AccountId"}, map[string]any{"Ref": "HubAccountId"}}}}}
	if diff := cmp.Diff(want, tpl.Conditions["ForwardEvents"]); diff != "" {
		t.Errorf("ForwardEvents (-want +got):\n%s", diff)
	}
	member := tpl.resolve(t, rule.Properties["EventPattern"]).(map[string]any)
	hubPattern := hubRulePattern(t, "EnforceFunctionTrustPolicyChange")
	// The hub's self-exclusion ($or on the session issuer) names the hub's roles; in a member
	// account those never appear as session issuers, so the member drops nothing else.
	hubDetail := hubPattern["detail"].(map[string]any)
	delete(hubDetail, "$or")
	if diff := cmp.Diff(hubPattern, member); diff != "" {
		t.Errorf("member pattern differs from the hub's (-hub +member):\n%s", diff)
	}
	targets := tpl.resolve(t, rule.Properties["Targets"]).([]any)
	tg := targets[0].(map[string]any)
	if len(targets) != 1 || tg["Arn"] != memberParams["HubEventBusArn"] || tg["RoleArn"] == nil {
		t.Errorf("targets = %v", targets)
	}
	fwd := tpl.resolve(t, tpl.Resources["ForwarderRole"].Properties["Policies"]).([]any)
	st := lookupList(t, fwd[0], "PolicyDocument", "Statement")
	if len(st) != 1 || st[0].(map[string]any)["Action"] != "events:PutEvents" || st[0].(map[string]any)["Resource"] != memberParams["HubEventBusArn"] {
		t.Errorf("forwarder role may do %v; want events:PutEvents on the hub bus only", st)
	}
}

// hubRulePattern is the resolved EventPattern of a rule of the expanded hub template.
func hubRulePattern(t *testing.T, id string) map[string]any {
	t.Helper()
	tpl := expand(t)
	r, ok := tpl.Resources[id]
	if !ok {
		t.Fatalf("no %s in the expanded template", id)
	}
	p, err := tpl.resolve(r.Properties["EventPattern"])
	if err != nil {
		t.Fatalf("%s pattern: %v", id, err)
	}
	return p.(map[string]any)
}

// The hub's StackSets: service-managed, auto-deployed, from a local template in the repo;
// exactly one carries the member role, in one region; its parameters are the member template's.
func TestStackSet(t *testing.T) {
	tpl := expand(t)
	var carriers []string
	for _, id := range sortedKeys(tpl.Resources) {
		r := tpl.Resources[id]
		if r.Type != "AWS::CloudFormation::StackSet" {
			continue
		}
		p := r.Properties
		if p["PermissionModel"] != "SERVICE_MANAGED" {
			t.Errorf("%s: PermissionModel %v", id, p["PermissionModel"])
		}
		if on, _ := lookup(p, "AutoDeployment", "Enabled"); on != true {
			t.Errorf("%s: AutoDeployment.Enabled %v", id, on)
		}
		url, _ := p["TemplateURL"].(string)
		if url == "" || strings.Contains(url, "://") || filepath.IsAbs(url) {
			t.Errorf("%s: TemplateURL %v is not a local path (sam deploy uploads local paths)", id, p["TemplateURL"])
			continue
		}
		body, err := os.ReadFile(filepath.Join("..", "..", url))
		if err != nil {
			t.Errorf("%s: TemplateURL %s: %v", id, url, err)
			continue
		}
		if bytes.Contains(body, []byte("Type: AWS::IAM::Role")) && bytes.Contains(body, []byte("MemberRole:")) {
			carriers = append(carriers, id)
		}
		if r.Condition != "IsOrganization" {
			t.Errorf("%s: condition %q; want IsOrganization (no StackSet for a single account)", id, r.Condition)
		}
	}
	if len(carriers) != 1 || carriers[0] != "MemberStackSet" {
		t.Fatalf("StackSets carrying the member role: %v; want exactly [MemberStackSet]", carriers)
	}
	p := tpl.Resources["MemberStackSet"].Properties
	if diff := cmp.Diff(map[string]any{"Ref": "StackSetCallAs"}, p["CallAs"]); diff != "" {
		t.Errorf("CallAs: %s", diff)
	}
	if diff := cmp.Diff(tpl.Parameters["StackSetCallAs"]["AllowedValues"], []any{"SELF", "DELEGATED_ADMIN"}); diff != "" {
		t.Errorf("StackSetCallAs values: %s", diff)
	}
	groups := p["StackInstancesGroup"].([]any)
	regions, _ := lookup(groups[0], "Regions")
	if len(groups) != 1 || !reflect.DeepEqual(regions, []any{map[string]any{"Ref": "IamHomeRegion"}}) {
		t.Errorf("StackInstancesGroup = %v; want one group in IamHomeRegion only (the member role is global)", groups)
	}
	if !slices.Contains(asList(p["Capabilities"]), "CAPABILITY_NAMED_IAM") {
		t.Errorf("Capabilities %v: the member role has a name", p["Capabilities"])
	}
	// Every parameter passed exists in the member template, and every member parameter without
	// a default is passed.
	member, _ := memberTemplate(t)
	passed := map[string]bool{}
	for _, kv := range p["Parameters"].([]any) {
		k := kv.(map[string]any)["ParameterKey"].(string)
		if _, ok := member.Parameters[k]; !ok {
			t.Errorf("StackSet passes %s, which member-template.yaml does not declare", k)
		}
		passed[k] = true
	}
	for name, mp := range member.Parameters {
		if _, hasDefault := mp["Default"]; !hasDefault && !passed[name] {
			t.Errorf("member parameter %s has no default and is not passed", name)
		}
	}
}

// The hub bus admits events:PutEvents from the organization only.
func TestOrgEventBusPolicy(t *testing.T) {
	tpl := expand(t)
	pol, ok := tpl.Resources["OrgEventBusPolicy"]
	if !ok || pol.Type != "AWS::Events::EventBusPolicy" || pol.Condition != "IsOrganization" {
		t.Fatalf("OrgEventBusPolicy = %+v", pol)
	}
	want := map[string]any{
		"Effect":    "Allow",
		"Principal": "*",
		"Action":    "events:PutEvents",
		"Resource":  map[string]any{"Fn::GetAtt": []any{"OrgEventBus", "Arn"}},
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": map[string]any{"Ref": "OrganizationId"}}},
	}
	if diff := cmp.Diff(want, pol.Properties["Statement"]); diff != "" {
		t.Errorf("bus policy statement (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"Ref": "OrgEventBus"}, pol.Properties["EventBusName"]); diff != "" {
		t.Errorf("policy on bus: %s", diff)
	}
	// No other policy opens the hub bus.
	for id, r := range tpl.Resources {
		if r.Type == "AWS::Events::EventBusPolicy" && id != "OrgEventBusPolicy" {
			t.Errorf("another bus policy: %s", id)
		}
	}
}

// The rule on the hub bus has the pattern of the account rule and feeds the same target, with
// its dead-letter queue and retry policy, and the queue admits it.
func TestOrgIamEventsRule(t *testing.T) {
	tpl := expand(t)
	rule := tpl.Resources["OrgIamEventsRule"]
	if rule.Type != "AWS::Events::Rule" || rule.Condition != "IsOrganization" {
		t.Fatalf("OrgIamEventsRule = %+v", rule)
	}
	if diff := cmp.Diff(hubRulePattern(t, "EnforceFunctionTrustPolicyChange"), hubRulePattern(t, "OrgIamEventsRule")); diff != "" {
		t.Errorf("OrgIamEventsRule pattern differs from the account rule's (-account +org):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"Ref": "OrgEventBus"}, rule.Properties["EventBusName"]); diff != "" {
		t.Errorf("bus: %s", diff)
	}
	acct := tpl.Resources["EnforceFunctionTrustPolicyChange"].Properties["Targets"].([]any)[0].(map[string]any)
	org := rule.Properties["Targets"].([]any)[0].(map[string]any)
	for _, k := range []string{"Arn", "RetryPolicy", "DeadLetterConfig"} {
		if diff := cmp.Diff(acct[k], org[k]); diff != "" {
			t.Errorf("target %s differs from the account rule's (-account +org):\n%s", k, diff)
		}
	}
	// The queue admits the hub rule's deliveries (a statement under IsOrganization).
	qp, _ := json.Marshal(tpl.Resources["EnforceQueuePolicy"].Properties["PolicyDocument"])
	if !strings.Contains(string(qp), `"aws:SourceArn":{"Fn::GetAtt":["OrgIamEventsRule","Arn"]}`) {
		t.Errorf("EnforceQueuePolicy does not admit OrgIamEventsRule: %s", qp)
	}
}

// Both functions get MEMBER_ROLE_NAME (path + name, which accountroles accepts and turns into
// the member template's role ARN); the sweep gets SWEEP_SCOPE; the functions may assume only
// that role, only inside the organization, and set their source identity.
func TestOrganizationSettingsAndPermissions(t *testing.T) {
	tpl := expand(t)
	memberEnv := map[string]any{"Fn::If": []any{"IsOrganization", map[string]any{"Fn::Sub": "${MemberRolePath}${MemberRoleName}"}, ""}}
	for _, fn := range []string{"EnforceFunction", "SweepFunction"} {
		env, err := lookup(tpl.Resources[fn].Properties, "Environment", "Variables")
		if err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
		if diff := cmp.Diff(memberEnv, env.(map[string]any)["MEMBER_ROLE_NAME"]); diff != "" {
			t.Errorf("%s MEMBER_ROLE_NAME (-want +got):\n%s", fn, diff)
		}
	}
	env, _ := lookup(tpl.Resources["SweepFunction"].Properties, "Environment", "Variables")
	if diff := cmp.Diff(map[string]any{"Fn::If": []any{"IsOrganization", "organization", "account"}}, env.(map[string]any)["SWEEP_SCOPE"]); diff != "" {
		t.Errorf("SWEEP_SCOPE (-want +got):\n%s", diff)
	}
	name, err := tpl.intrinsic("Fn::Sub", "${MemberRolePath}${MemberRoleName}")
	if err != nil {
		t.Fatal(err)
	}
	clean, err := accountroles.CleanRoleName(name.(string))
	if err != nil || clean != "source-identity-guard/member" {
		t.Errorf("MEMBER_ROLE_NAME %q -> %q, %v", name, clean, err)
	}
	for _, id := range []string{"EnforceOrgPolicy", "SweepOrgPolicy"} {
		r := tpl.Resources[id]
		if r.Type != "AWS::IAM::RolePolicy" || r.Condition != "IsOrganization" {
			t.Fatalf("%s = %+v", id, r)
		}
		for _, st := range lookupList(t, r.Properties, "PolicyDocument", "Statement") {
			s := st.(map[string]any)
			if !slices.Contains(asList(s["Action"]), "sts:AssumeRole") {
				continue
			}
			if diff := cmp.Diff([]string{"sts:AssumeRole", "sts:SetSourceIdentity"}, asList(s["Action"])); diff != "" {
				t.Errorf("%s actions: %s", id, diff)
			}
			res, err := tpl.resolve(s["Resource"])
			if err != nil || res != "arn:aws:iam::*:role/"+clean {
				t.Errorf("%s: may assume %v (%v); want arn:aws:iam::*:role/%s", id, res, err, clean)
			}
			fn := map[string]string{"EnforceOrgPolicy": "EnforceFunction", "SweepOrgPolicy": "SweepFunction"}[id]
			if diff := cmp.Diff(map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": map[string]any{"Ref": "OrganizationId"}},
				"ArnEquals": map[string]any{"lambda:SourceFunctionArn": map[string]any{"Fn::GetAtt": []any{fn, "Arn"}}}}, s["Condition"]); diff != "" {
				t.Errorf("%s: assume condition (-want +got):\n%s", id, diff)
			}
		}
	}
	// Reading the organization: the event path describes one account, the sweep lists them.
	for id, action := range map[string]string{"EnforceOrgPolicy": "organizations:DescribeAccount", "SweepOrgPolicy": "organizations:ListAccounts"} {
		var actions []string
		for _, st := range lookupList(t, tpl.Resources[id].Properties, "PolicyDocument", "Statement") {
			actions = append(actions, asList(st.(map[string]any)["Action"])...)
		}
		if !slices.Contains(actions, action) || slices.ContainsFunc(actions, func(a string) bool {
			return strings.HasPrefix(a, "organizations:") && a != action
		}) {
			t.Errorf("%s: organizations actions %v; want only %s", id, actions, action)
		}
	}
	// Single-account deployments get none of it: every organization resource is conditional.
	for _, id := range []string{"OrgEventBus", "OrgEventBusPolicy", "OrgIamEventsRule",
		"OrgIamEventsFailedInvocationsAlarm", "EnforceOrgPolicy", "SweepOrgPolicy", "MemberStackSet"} {
		if tpl.Resources[id].Condition != "IsOrganization" {
			t.Errorf("%s: condition %q; want IsOrganization", id, tpl.Resources[id].Condition)
		}
	}
}

func lookupList(t *testing.T, v any, keys ...string) []any {
	t.Helper()
	x, err := lookup(v, keys...)
	if err != nil {
		t.Fatalf("%v: %v", keys, err)
	}
	l, ok := x.([]any)
	if !ok {
		return []any{x}
	}
	return l
}
