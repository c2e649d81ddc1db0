package template

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
)

// grant is one (effect, action, resource) of a role, with the function its use is bound to
// (the lambda:SourceFunctionArn of an ArnEquals condition; "" when unbound).
type grant struct{ Effect, Action, Resource, Function string }

// roleGrants lists the grants of the role with logical id id: its inline policies and every
// AWS::IAM::RolePolicy attached to it (those under a Condition, e.g. IsOrganization, only when
// conditional is set: a single-account deployment does not create them).
func (tpl *expanded) roleGrants(t *testing.T, id string, conditional bool) []grant {
	t.Helper()
	var docs []any
	role, ok := tpl.Resources[id]
	if !ok {
		t.Fatalf("no %s", id)
	}
	policies, _ := role.Properties["Policies"].([]any)
	for _, p := range policies {
		docs = append(docs, p.(map[string]any)["PolicyDocument"])
	}
	for _, rid := range sortedKeys(tpl.Resources) {
		r := tpl.Resources[rid]
		if ref, _ := r.Properties["RoleName"].(map[string]any); r.Type == "AWS::IAM::RolePolicy" && ref["Ref"] == id &&
			(conditional || r.Condition == "") {
			docs = append(docs, r.Properties["PolicyDocument"])
		}
	}
	var out []grant
	for _, d := range docs {
		resolved, err := tpl.resolve(d)
		if err != nil {
			t.Fatalf("%s policy: %v", id, err)
		}
		stmts, _ := lookup(resolved, "Statement")
		for _, s := range stmts.([]any) {
			m := s.(map[string]any)
			fn, _ := lookup(m, "Condition", "ArnEquals", "lambda:SourceFunctionArn")
			fnStr, _ := fn.(string)
			for _, a := range asList(m["Action"]) {
				for _, r := range asList(m["Resource"]) {
					out = append(out, grant{m["Effect"].(string), a, r, fnStr})
				}
			}
		}
	}
	return out
}

func sortGrants(gs []grant) {
	slices.SortFunc(gs, func(a, b grant) int { return strings.Compare(a.Action+" "+a.Resource, b.Action+" "+b.Resource) })
}

// Bypass 4: the trust policy the stack gives the guard's roles is the one the functions compare
// them with (guard.OwnTrustPolicy), so a re-trusted role is reported as tampered and an intact
// one is not.
func TestOwnRolesTrustPolicyIsTheGuards(t *testing.T) {
	tpl := expand(t)
	for _, id := range []string{"EnforceFunctionRole", "SweepFunctionRole", "PromoteFunctionRole"} {
		doc, err := tpl.resolve(tpl.Resources[id].Properties["AssumeRolePolicyDocument"])
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !guard.SamePolicy(b, guard.OwnTrustPolicy(testAccount)) {
			t.Errorf("%s trust policy %s is not guard.OwnTrustPolicy %s: every deploy would report it tampered", id, b, guard.OwnTrustPolicy(testAccount))
		}
	}
}

// Bypass 4: every permission the functions' code uses is bound to the function with
// lambda:SourceFunctionArn; only what the Lambda service does with the role (logs, reading the
// queue) and the explicit Denies are not.
func TestPermissionsBoundToTheFunctions(t *testing.T) {
	tpl := expand(t)
	for role, fn := range map[string]string{"EnforceFunctionRole": "EnforceFunction", "SweepFunctionRole": "SweepFunction", "PromoteFunctionRole": "PromoteFunction"} {
		arn := "arn:aws:lambda:" + testRegion + ":" + testAccount + ":" + fn
		for _, g := range tpl.roleGrants(t, role, true) {
			service := strings.HasPrefix(g.Action, "logs:") || strings.HasPrefix(g.Action, "sqs:")
			switch {
			case g.Effect == "Deny":
			case service && g.Function != "":
				t.Errorf("%s: %+v is used by the Lambda service, which sends no lambda:SourceFunctionArn", role, g)
			case !service && g.Function != arn:
				t.Errorf("%s: %+v is not bound to %s", role, g, arn)
			}
		}
	}
}

// Bypass 5 and 7: the sweep keeps its position signed with a KMS HMAC key only its role may
// use, and never overlaps thanks to a lease table, not reserved concurrency.
func TestSweepKeyAndLease(t *testing.T) {
	tpl := expand(t)
	key := tpl.Resources["SweepPositionKey"]
	if key.Type != "AWS::KMS::Key" || key.Properties["KeySpec"] != "HMAC_256" || key.Properties["KeyUsage"] != "GENERATE_VERIFY_MAC" {
		t.Fatalf("SweepPositionKey = %+v; want an HMAC_256 GENERATE_VERIFY_MAC key", key)
	}
	kp, err := tpl.resolve(key.Properties["KeyPolicy"])
	if err != nil {
		t.Fatal(err)
	}
	stmts, _ := lookup(kp, "Statement")
	users := map[string][]string{}
	for _, s := range stmts.([]any) {
		m := s.(map[string]any)
		principal, _ := lookup(m, "Principal", "AWS")
		for _, a := range asList(m["Action"]) {
			if m["Effect"] == "Allow" && (a == "kms:*" || strings.Contains(a, "Mac")) {
				users[a] = append(users[a], principal.(string))
			}
		}
	}
	sweep := roleARN("SweepFunctionRole")
	if diff := cmp.Diff(map[string][]string{"kms:GenerateMac": {sweep}, "kms:VerifyMac": {sweep}}, users); diff != "" {
		t.Errorf("who may use the position key (-want +got):\n%s", diff)
	}
	table := tpl.Resources["SweepLockTable"]
	if table.Type != "AWS::DynamoDB::Table" {
		t.Fatalf("SweepLockTable = %+v", table)
	}
	env, _ := lookup(tpl.Resources["SweepFunction"].Properties, "Environment", "Variables")
	for k, want := range map[string]any{
		"SWEEP_POSITION_KEY_ID": map[string]any{"Ref": "SweepPositionKey"},
		"SWEEP_LOCK_TABLE":      map[string]any{"Ref": "SweepLockTable"},
		"TRUST_ROLE_TAGS":       map[string]any{"Ref": "ProtectedTags"},
	} {
		if diff := cmp.Diff(want, env.(map[string]any)[k]); diff != "" {
			t.Errorf("SweepFunction %s (-want +got):\n%s", k, diff)
		}
	}
	for _, id := range sortedKeys(tpl.Resources) {
		if r := tpl.Resources[id]; r.Type == "AWS::Lambda::Function" && r.Properties["ReservedConcurrentExecutions"] != nil {
			t.Errorf("%s reserves concurrency", id)
		}
	}
}

// Bypass 3: tags are honoured only when the stack says they are protected, off by default.
func TestProtectedTagsParameter(t *testing.T) {
	tpl := expand(t)
	p := tpl.Parameters["ProtectedTags"]
	if p["Default"] != "false" || !cmp.Equal([]any{"false", "true"}, p["AllowedValues"]) {
		t.Errorf("ProtectedTags = %v; want false by default, false|true", p)
	}
}

// Bypass 8: the alarms on unfixable decisions, tampering and publish failures watch the metrics
// the functions write, and docs/operations.md lists every alarm of the template.
func TestAlarmsAndOperationsPage(t *testing.T) {
	tpl := expand(t)
	want := map[string][]string{
		"UnfixableDecisionsAlarm": {"Decisions decision=unfixable", "SweepRoles decision=unfixable"},
		"TamperingAlarm":          {"Decisions decision=tampered", "SweepPositionRejected", "SweepRoles decision=tampered"},
		"PublishFailuresAlarm":    {"PublishFailures", "SweepPublishFailures"},
		"FailedDecisionsAlarm":    {"Decisions decision=failed", "SweepRoles decision=failed"},
		"IacFightAlarm":           {"Decisions decision=conflict", "SweepRoles decision=conflict"},
	}
	for id, metrics := range want {
		r, ok := tpl.Resources[id]
		if !ok {
			t.Errorf("no %s", id)
			continue
		}
		var got []string
		ms, _ := r.Properties["Metrics"].([]any)
		for _, m := range ms {
			stat, err := lookup(m, "MetricStat", "Metric")
			if err != nil {
				continue
			}
			sm := stat.(map[string]any)
			if sm["Namespace"] != "SourceIdentityGuard" {
				t.Errorf("%s: namespace %v", id, sm["Namespace"])
			}
			name := sm["MetricName"].(string)
			dims, _ := sm["Dimensions"].([]any)
			for _, d := range dims {
				dm := d.(map[string]any)
				name += " " + dm["Name"].(string) + "=" + dm["Value"].(string)
			}
			got = append(got, name)
		}
		slices.Sort(got)
		if diff := cmp.Diff(metrics, got); diff != "" {
			t.Errorf("%s metrics (-want +got):\n%s", id, diff)
		}
	}
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range sortedKeys(tpl.Resources) {
		if tpl.Resources[id].Type == "AWS::CloudWatch::Alarm" && !strings.Contains(string(page), "`"+id+"`") {
			t.Errorf("docs/operations.md does not list the alarm %s", id)
		}
	}
}
