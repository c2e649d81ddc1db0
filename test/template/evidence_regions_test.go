package template

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/trailfiles"
	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
)

// Readiness evidence in every region (issue 10): STS logs an AssumeRole in the region of the
// endpoint used, so the Collect rule's pattern also runs in the other regions
// (evidence-forwarder-template.yaml) and, in organization scope, in the member accounts'
// IAM home region (member-template.yaml), forwarding to the hub, where OrgEvidenceRule feeds the
// Collect function. moto cannot deliver across accounts or regions: these tests check the
// templates and the pattern, not the delivery.

const forwarderFile = "evidence-forwarder-template.yaml"

// forwarderTemplate decodes evidence-forwarder-template.yaml (no transform applied).
func forwarderTemplate(t *testing.T) (*plain, []byte) {
	t.Helper()
	expand(t) // skips like the other template tests when samtranslator is missing
	path, err := filepath.Abs(filepath.Join("..", "..", forwarderFile))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", filepath.Join("testdata", "cfn_json.py"), path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("decode %s: %v\n%s", forwarderFile, err, stderr.String())
	}
	var tpl plain
	if err := json.Unmarshal(out, &tpl); err != nil {
		t.Fatal(err)
	}
	return &tpl, out
}

func TestEvidenceForwarderLintsCleanWithoutTransform(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		missingTool(t, "cfn-lint not on PATH", "cfn-lint 1.51 ships with the image's Python")
	}
	out, err := exec.Command(lint, "--", filepath.Join("..", "..", forwarderFile)).CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint %s: %v\n%s", forwarderFile, err, out)
	}
	tpl, raw := forwarderTemplate(t)
	// Service-managed StackSets refuse macros: no Transform, no SAM or Include anywhere.
	if tpl.Transform != nil {
		t.Errorf("%s has a Transform: %v", forwarderFile, tpl.Transform)
	}
	for _, banned := range []string{"AWS::Serverless", "AWS::Include", "Fn::Transform"} {
		if bytes.Contains(raw, []byte(banned)) {
			t.Errorf("%s uses %s", forwarderFile, banned)
		}
	}
	for id, r := range tpl.Resources {
		if strings.HasPrefix(r.Type, "AWS::Serverless::") || r.Type == "AWS::CloudFormation::Stack" {
			t.Errorf("resource %s: %s cannot be deployed by a service-managed StackSet", id, r.Type)
		}
	}
}

// One pattern and one state for the evidence everywhere: the hub's Collect rule (SAM's
// CollectFunctionRoleAssumption), the regional forwarder, the member stack's rule and the rule
// on the organization bus.
func TestEvidencePatternsAgree(t *testing.T) {
	tpl := expand(t)
	hub := hubRulePattern(t, "CollectFunctionRoleAssumption")
	const state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
	if got := tpl.Resources["CollectFunctionRoleAssumption"].Properties["State"]; got != state {
		t.Fatalf("CollectFunctionRoleAssumption State %v; want %s", got, state)
	}
	if diff := cmp.Diff(hub, hubRulePattern(t, "OrgEvidenceRule")); diff != "" {
		t.Errorf("OrgEvidenceRule pattern (-Collect rule +org rule):\n%s", diff)
	}
	if got := tpl.Resources["OrgEvidenceRule"].Properties["State"]; got != state {
		t.Errorf("OrgEvidenceRule State %v; want %s", got, state)
	}
	fwd, _ := forwarderTemplate(t)
	member, _ := memberTemplate(t)
	for name, r := range map[string]resource{
		forwarderFile + " EvidenceForwardRule":     fwd.Resources["EvidenceForwardRule"],
		"member-template.yaml EvidenceForwardRule": member.Resources["EvidenceForwardRule"],
	} {
		if r.Type != "AWS::Events::Rule" {
			t.Errorf("%s: %+v", name, r)
			continue
		}
		if diff := cmp.Diff(hub, fwd.resolve(t, r.Properties["EventPattern"])); diff != "" {
			t.Errorf("%s pattern (-Collect rule +forwarder):\n%s", name, diff)
		}
		if r.Properties["State"] != state || r.Properties["EventBusName"] != "default" {
			t.Errorf("%s: State %v on bus %v; want %s on the default bus", name, r.Properties["State"], r.Properties["EventBusName"], state)
		}
	}
}

// fixtureCases are the fixture trails' records (cmd/sidguard/testdata/cloudtrail, the ones the
// readiness tests read), each in the envelope CloudTrail delivery gives it. want is the
// evidence rule's contract, written out: a successful STS AssumeRole* or sign-in SwitchRole by
// anyone but an AWS service.
func fixtureCases(t *testing.T) []patternCase {
	t.Helper()
	r := &trailfiles.Reader{}
	files, err := r.Files(t.Context(), []string{filepath.Join("..", "..", "cmd", "sidguard", "testdata", "cloudtrail")})
	if err != nil {
		t.Fatal(err)
	}
	evidence := map[string]bool{"AssumeRole": true, "AssumeRoleWithSAML": true, "AssumeRoleWithWebIdentity": true, "SwitchRole": true}
	var out []patternCase
	var dec trailrecord.Decoder
	for _, f := range files {
		_, err := r.ReadFile(t.Context(), f, func(i int, raw []byte) error {
			rec, err := dec.Decode(raw)
			if err != nil {
				return err
			}
			var fields struct {
				UserIdentity struct{ Type string } `json:"userIdentity"`
				ErrorCode    string                `json:"errorCode"`
			}
			if err := json.Unmarshal(raw, &fields); err != nil {
				return err
			}
			detailType := "AWS API Call via CloudTrail"
			if rec.EventType == "AwsConsoleSignIn" {
				detailType = "AWS Console Sign In via CloudTrail"
			}
			envelope, err := json.Marshal(map[string]any{
				"source":      "aws." + strings.TrimSuffix(rec.EventSource, ".amazonaws.com"),
				"detail-type": detailType,
				"detail":      json.RawMessage(raw),
			})
			if err != nil {
				return err
			}
			out = append(out, patternCase{
				name:  fmt.Sprintf("%s#%d %s %s %s", filepath.Base(f.Name), i, rec.EventName, fields.UserIdentity.Type, fields.ErrorCode),
				event: envelope,
				want: (rec.EventSource == "sts.amazonaws.com" || rec.EventSource == "signin.amazonaws.com") &&
					evidence[rec.EventName] && fields.UserIdentity.Type != "AWSService" && fields.ErrorCode == "",
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The forwarder's pattern on moto's EventBridge with every fixture record: people's AssumeRole*
// and SwitchRole are delivered; AWS services' and failed calls, and other services' calls, are
// dropped before the (billed) forwarding.
func TestEvidencePatternOnEventBridge(t *testing.T) {
	fwd, _ := forwarderTemplate(t)
	patternJSON, err := json.Marshal(fwd.resolve(t, fwd.Resources["EvidenceForwardRule"].Properties["EventPattern"]))
	if err != nil {
		t.Fatal(err)
	}
	cases := fixtureCases(t)
	// The fixtures must exercise each way in and out, or the test proves nothing.
	for _, kind := range []struct {
		substr string
		want   bool
	}{
		{" AssumeRole IAMUser ", true}, {" AssumeRole AWSAccount ", true}, {" AssumeRoleWithSAML ", true},
		{" AssumeRoleWithWebIdentity ", true}, {" SwitchRole ", true},
		{" AssumeRole AWSService ", false}, {"AccessDenied", false}, {" ListBuckets ", false},
	} {
		if !slices.ContainsFunc(cases, func(c patternCase) bool { return strings.Contains(c.name+" ", kind.substr) && c.want == kind.want }) {
			t.Fatalf("no fixture record %q with want=%v; cases: %d", kind.substr, kind.want, len(cases))
		}
	}
	want := map[string]bool{}
	for _, c := range cases {
		if c.want {
			want[c.name] = true
		}
	}
	if diff := cmp.Diff(want, deliveredOnMoto(t, string(patternJSON), cases)); diff != "" {
		t.Errorf("fixture records forwarded to the hub (-want +got):\n%s", diff)
	}
}

// Least privilege: EventBridge alone may use the forwarder's role, from this account, and it may
// put events on the hub's bus and nothing else; the role sits under the path the member role's
// Deny covers; undeliverable events go to the forwarder's dead-letter queue, which admits only
// that rule.
func TestEvidenceForwarderRole(t *testing.T) {
	tpl, _ := forwarderTemplate(t)
	role := tpl.Resources["EvidenceForwarderRole"]
	if role.Type != "AWS::IAM::Role" {
		t.Fatalf("EvidenceForwarderRole = %+v", role)
	}
	p := tpl.resolve(t, role.Properties).(map[string]any)
	if p["ManagedPolicyArns"] != nil || p["RoleName"] != nil {
		t.Errorf("EvidenceForwarderRole: managed policies %v, name %v; want inline policy only and no name (one stack per region)", p["ManagedPolicyArns"], p["RoleName"])
	}
	wantTrust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole",
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": memberAccount}},
	}}}
	if diff := cmp.Diff(wantTrust, p["AssumeRolePolicyDocument"]); diff != "" {
		t.Errorf("trust policy (-want +got):\n%s", diff)
	}
	policies := p["Policies"].([]any)
	if len(policies) != 1 {
		t.Fatalf("policies = %v", policies)
	}
	wantStatements := []any{map[string]any{"Effect": "Allow", "Action": "events:PutEvents", "Resource": memberParams["HubEventBusArn"]}}
	if diff := cmp.Diff(wantStatements, lookupList(t, policies[0], "PolicyDocument", "Statement")); diff != "" {
		t.Errorf("forwarder role may do (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(fmt.Sprint(p["Path"]), "/source-identity-guard-member/") {
		t.Errorf("Path %v is outside /source-identity-guard-member/, which the member role may never change", p["Path"])
	}
	rule := tpl.Resources["EvidenceForwardRule"]
	targets := rule.Properties["Targets"].([]any)
	if len(targets) != 1 {
		t.Fatalf("targets = %v", targets)
	}
	tg := targets[0].(map[string]any)
	for k, want := range map[string]any{
		"Arn":              map[string]any{"Ref": "HubEventBusArn"},
		"RoleArn":          map[string]any{"Fn::GetAtt": []any{"EvidenceForwarderRole", "Arn"}},
		"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{"EvidenceDeadLetterQueue", "Arn"}}},
		"RetryPolicy":      map[string]any{"MaximumRetryAttempts": float64(185), "MaximumEventAgeInSeconds": float64(86400)},
	} {
		if diff := cmp.Diff(want, tg[k]); diff != "" {
			t.Errorf("target %s (-want +got):\n%s", k, diff)
		}
	}
	qp, _ := json.Marshal(tpl.Resources["EvidenceDeadLetterQueuePolicy"].Properties["PolicyDocument"])
	if !strings.Contains(string(qp), `"aws:SourceArn":{"Fn::GetAtt":["EvidenceForwardRule","Arn"]}`) || !strings.Contains(string(qp), `"Service":"events.amazonaws.com"`) {
		t.Errorf("EvidenceDeadLetterQueuePolicy does not admit exactly the rule: %s", qp)
	}
	// Never deployed in IAM's home region, where the hub's rule and the member stack already
	// forward (a second copy of every event, billed).
	raw, _ := json.Marshal(must(forwarderRules(t), nil))
	if !strings.Contains(string(raw), `{"Fn::Not":[{"Fn::Equals":[{"Ref":"AWS::Region"},{"Ref":"IamHomeRegion"}]}]}`) {
		t.Errorf("no rule refuses IAM's home region: %s", raw)
	}
	// HubEventBusArn accepts both hub buses (EvidenceBusArn of either scope).
	re := regexp.MustCompile(tpl.Parameters["HubEventBusArn"]["AllowedPattern"].(string))
	for _, arn := range []string{memberParams["HubEventBusArn"].(string), "arn:aws:events:us-east-1:" + testAccount + ":event-bus/default"} {
		if !re.MatchString(arn) {
			t.Errorf("HubEventBusArn refuses %s", arn)
		}
	}
}

// forwarderRules is the Rules section of the forwarder template.
func forwarderRules(t *testing.T) any {
	t.Helper()
	_, raw := forwarderTemplate(t)
	var doc struct{ Rules any }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Rules
}

// The member stack forwards its IAM home region's evidence to the hub bus with the forwarder
// role it already has (events:PutEvents on the hub bus only: TestMemberForwardingRule), with a
// dead-letter queue, and not in the hub's own account.
func TestMemberEvidenceRule(t *testing.T) {
	tpl, _ := memberTemplate(t)
	for _, id := range []string{"EvidenceForwardRule", "EvidenceDeadLetterQueue", "EvidenceDeadLetterQueuePolicy"} {
		if tpl.Resources[id].Condition != "ForwardEvents" {
			t.Errorf("%s: condition %q; want ForwardEvents (not in the hub's account)", id, tpl.Resources[id].Condition)
		}
	}
	targets := tpl.resolve(t, tpl.Resources["EvidenceForwardRule"].Properties["Targets"]).([]any)
	tg := targets[0].(map[string]any)
	if len(targets) != 1 || tg["Arn"] != memberParams["HubEventBusArn"] ||
		tg["RoleArn"] != "arn:aws:iam::"+memberAccount+":role/ForwarderRole" || tg["DeadLetterConfig"] == nil {
		t.Errorf("targets = %v", targets)
	}
}

// On the hub: the organization bus's evidence rule feeds the Collect function with the Collect
// rule's target settings and dead-letter queue; Lambda and the dead-letter queue admit it.
func TestOrgEvidenceRule(t *testing.T) {
	tpl := expand(t)
	rule := tpl.Resources["OrgEvidenceRule"]
	if rule.Type != "AWS::Events::Rule" || rule.Condition != "IsOrganization" {
		t.Fatalf("OrgEvidenceRule = %+v", rule)
	}
	if diff := cmp.Diff(map[string]any{"Ref": "OrgEventBus"}, rule.Properties["EventBusName"]); diff != "" {
		t.Errorf("bus: %s", diff)
	}
	acct := tpl.Resources["CollectFunctionRoleAssumption"].Properties["Targets"].([]any)[0].(map[string]any)
	org := rule.Properties["Targets"].([]any)
	if len(org) != 1 {
		t.Fatalf("OrgEvidenceRule targets = %v", org)
	}
	for _, k := range []string{"Arn", "RetryPolicy", "DeadLetterConfig"} {
		if diff := cmp.Diff(acct[k], org[0].(map[string]any)[k]); diff != "" {
			t.Errorf("target %s differs from the Collect rule's (-Collect +org):\n%s", k, diff)
		}
	}
	if diff := cmp.Diff(map[string]any{"Fn::GetAtt": []any{"CollectFunction", "Arn"}}, acct["Arn"]); diff != "" {
		t.Errorf("the Collect rule's target (-want +got):\n%s", diff)
	}
	var perms []string
	for _, id := range sortedKeys(tpl.Resources) {
		r := tpl.Resources[id]
		if r.Type != "AWS::Lambda::Permission" {
			continue
		}
		if diff := cmp.Diff(map[string]any{"Fn::GetAtt": []any{"OrgEvidenceRule", "Arn"}}, r.Properties["SourceArn"]); diff != "" {
			continue
		}
		perms = append(perms, id)
		if r.Condition != "IsOrganization" || r.Properties["Principal"] != "events.amazonaws.com" || r.Properties["Action"] != "lambda:InvokeFunction" ||
			!cmp.Equal(map[string]any{"Ref": "CollectFunction"}, r.Properties["FunctionName"]) {
			t.Errorf("%s = %+v", id, r)
		}
	}
	if len(perms) != 1 {
		t.Errorf("Lambda permissions for OrgEvidenceRule: %v; want one", perms)
	}
	qp, _ := json.Marshal(tpl.Resources["CollectDeadLetterQueuePolicy"].Properties["PolicyDocument"])
	for _, want := range []string{`{"Fn::GetAtt":["CollectFunctionRoleAssumption","Arn"]}`,
		`{"Fn::If":["IsOrganization",{"Fn::GetAtt":["OrgEvidenceRule","Arn"]},{"Ref":"AWS::NoValue"}]}`} {
		if !strings.Contains(string(qp), want) {
			t.Errorf("CollectDeadLetterQueuePolicy does not admit %s: %s", want, qp)
		}
	}
	for _, id := range []string{"OrgEvidenceRule", "OrgEvidenceRulePermission", "EvidenceStackSet"} {
		if tpl.Resources[id].Condition != "IsOrganization" {
			t.Errorf("%s: condition %q; want IsOrganization", id, tpl.Resources[id].Condition)
		}
	}
}

// The evidence StackSet: service-managed, auto-deployed, the local forwarder template, under
// IsOrganization, to MemberStackSet's OUs in EvidenceRegions (no instances when empty), with
// the forwarder's parameters; the Rules keep IAM's home region out of EvidenceRegions and
// EvidenceRegions out of single-account scope. The hub's output EvidenceBusArn names the bus
// the forwarders use in either scope.
func TestEvidenceStackSet(t *testing.T) {
	tpl := expand(t)
	ss := tpl.Resources["EvidenceStackSet"]
	if ss.Type != "AWS::CloudFormation::StackSet" || ss.Condition != "IsOrganization" {
		t.Fatalf("EvidenceStackSet = %+v", ss)
	}
	p := ss.Properties
	for k, want := range map[string]any{
		"PermissionModel": "SERVICE_MANAGED",
		"TemplateURL":     forwarderFile,
		"CallAs":          map[string]any{"Ref": "StackSetCallAs"},
		"AutoDeployment":  map[string]any{"Enabled": true, "RetainStacksOnAccountRemoval": false},
		"Capabilities":    []any{"CAPABILITY_IAM"},
	} {
		if diff := cmp.Diff(want, p[k]); diff != "" {
			t.Errorf("EvidenceStackSet %s (-want +got):\n%s", k, diff)
		}
	}
	memberTargets := tpl.Resources["MemberStackSet"].Properties["StackInstancesGroup"].([]any)[0].(map[string]any)["DeploymentTargets"]
	wantGroups := map[string]any{"Fn::If": []any{"HasEvidenceRegions",
		[]any{map[string]any{"DeploymentTargets": memberTargets, "Regions": map[string]any{"Ref": "EvidenceRegions"}}},
		map[string]any{"Ref": "AWS::NoValue"}}}
	if diff := cmp.Diff(wantGroups, p["StackInstancesGroup"]); diff != "" {
		t.Errorf("EvidenceStackSet StackInstancesGroup (-want +got):\n%s", diff)
	}
	fwd, _ := forwarderTemplate(t)
	passed := map[string]any{}
	for _, kv := range p["Parameters"].([]any) {
		m := kv.(map[string]any)
		k := m["ParameterKey"].(string)
		if _, ok := fwd.Parameters[k]; !ok {
			t.Errorf("EvidenceStackSet passes %s, which %s does not declare", k, forwarderFile)
		}
		passed[k] = m["ParameterValue"]
	}
	for name, fp := range fwd.Parameters {
		if _, hasDefault := fp["Default"]; !hasDefault && passed[name] == nil {
			t.Errorf("forwarder parameter %s has no default and is not passed", name)
		}
	}
	if diff := cmp.Diff(map[string]any{"Fn::GetAtt": []any{"OrgEventBus", "Arn"}}, passed["HubEventBusArn"]); diff != "" {
		t.Errorf("HubEventBusArn (-want +got):\n%s", diff)
	}
	var doc struct {
		Conditions map[string]any
		Rules      map[string]any
	}
	if err := json.Unmarshal(expandOnce.raw, &doc); err != nil {
		t.Fatal(err)
	}
	wantCond := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Fn::Join": []any{"", map[string]any{"Ref": "EvidenceRegions"}}}, ""}}}}
	if diff := cmp.Diff(wantCond, doc.Conditions["HasEvidenceRegions"]); diff != "" {
		t.Errorf("HasEvidenceRegions (-want +got):\n%s", diff)
	}
	if d := tpl.Parameters["EvidenceRegions"]["Default"]; d != "" {
		t.Errorf("EvidenceRegions default %q; want empty (no region besides IAM's home region)", d)
	}
	rules, _ := json.Marshal(doc.Rules)
	for _, want := range []string{
		`{"Fn::Not":[{"Fn::Contains":[{"Ref":"EvidenceRegions"},{"Ref":"IamHomeRegion"}]}]}`,
		`{"Assert":{"Fn::EachMemberEquals":[{"Ref":"EvidenceRegions"},""]}`,
	} {
		if !strings.Contains(string(rules), want) {
			t.Errorf("no rule asserting %s: %s", want, rules)
		}
	}
	wantOut := map[string]any{"Fn::If": []any{"IsOrganization", map[string]any{"Fn::GetAtt": []any{"OrgEventBus", "Arn"}},
		map[string]any{"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"}}}
	out, _ := tpl.Outputs["EvidenceBusArn"].(map[string]any)
	if diff := cmp.Diff(wantOut, out["Value"]); diff != "" {
		t.Errorf("output EvidenceBusArn (-want +got):\n%s", diff)
	}
}
