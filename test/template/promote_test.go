package template

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The Promote function: daily schedule, settings, one of the guard's own roles,
// least privilege bound to the function, alarms; the guard's functions read the promotions.
func TestPromoteFunction(t *testing.T) {
	tpl := expand(t)
	fn, ok := tpl.Resources["PromoteFunction"]
	if !ok || fn.Type != "AWS::Lambda::Function" {
		t.Fatalf("PromoteFunction = %+v; want an AWS::Lambda::Function", fn)
	}
	vars, _ := lookup(fn.Properties, "Environment", "Variables")
	env, _ := vars.(map[string]any)
	for k, want := range map[string]any{
		"PROMOTION":             map[string]any{"Ref": "Promotion"},
		"PROMOTION_WINDOW_DAYS": map[string]any{"Ref": "PromotionWindowDays"},
		"LEDGER_TABLE":          map[string]any{"Ref": "EvidenceLedgerTable"},
		"MODE":                  map[string]any{"Ref": "Mode"},
		"FINDINGS_BUS_NAME":     map[string]any{"Ref": "FindingsBusName"},
		"TRUST_ROLE_TAGS":       map[string]any{"Ref": "ProtectedTags"},
		"EXEMPT_ROLE_PATTERNS":  map[string]any{"Ref": "ExemptRolePatterns"},
	} {
		if diff := cmp.Diff(want, env[k]); diff != "" {
			t.Errorf("PromoteFunction %s (-want +got):\n%s", k, diff)
		}
	}
	for _, id := range []string{"EnforceFunction", "SweepFunction", "PromoteFunction"} {
		v, _ := lookup(tpl.Resources[id].Properties, "Environment", "Variables", "GUARD_ROLE_ARNS")
		own, err := tpl.resolve(v)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := own.(string)
		if !strings.Contains(s, roleARN("PromoteFunctionRole")) {
			t.Errorf("%s GUARD_ROLE_ARNS = %q; want the Promote function's role among the guard's own", id, s)
		}
		if id == "PromoteFunction" {
			continue
		}
		if pt, _ := lookup(tpl.Resources[id].Properties, "Environment", "Variables", "PROMOTION_TABLE"); !cmp.Equal(pt, map[string]any{"Ref": "EvidenceLedgerTable"}) {
			t.Errorf("%s PROMOTION_TABLE = %v; want the ledger", id, pt)
		}
	}

	for name, want := range map[string]map[string]any{
		"Promotion":                    {"Default": "propose", "AllowedValues": []any{"off", "propose", "auto"}},
		"PromotionWindowDays":          {"Default": "14", "MinValue": 1.0, "MaxValue": 90.0},
		"DecisionArchiveRetentionDays": {"Default": "365", "MinValue": 1.0},
	} {
		p := tpl.Parameters[name]
		for k, v := range want {
			got := p[k]
			if k == "Default" {
				got = fmt.Sprint(got) // a Number parameter's default may decode as a number
			}
			if diff := cmp.Diff(v, got); diff != "" {
				t.Errorf("parameter %s %s (-want +got):\n%s", name, k, diff)
			}
		}
	}

	var schedule *resource
	for id, r := range tpl.Resources {
		if r.Type == "AWS::Events::Rule" && strings.HasPrefix(id, "PromoteFunction") {
			schedule = &r
		}
	}
	if schedule == nil || schedule.Properties["ScheduleExpression"] != "rate(1 day)" {
		t.Fatalf("PromoteFunction schedule %+v; want rate(1 day)", schedule)
	}

	fnARN := "arn:aws:lambda:" + testRegion + ":" + testAccount + ":PromoteFunction"
	ledger := "arn:aws:dynamodb:" + testRegion + ":" + testAccount + ":EvidenceLedgerTable"
	want := []grant{
		{"Allow", "dynamodb:GetItem", ledger, fnARN},
		{"Allow", "dynamodb:PutItem", ledger, fnARN},
		{"Allow", "dynamodb:Query", ledger, fnARN},
		{"Allow", "dynamodb:Scan", ledger, fnARN},
		{"Allow", "events:PutEvents", "arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/default", fnARN},
		{"Allow", "iam:ListRoleTags", "*", fnARN},
		{"Allow", "iam:ListRoles", "*", fnARN},
	}
	var got []grant
	for _, g := range tpl.roleGrants(t, "PromoteFunctionRole", false) {
		if strings.HasPrefix(g.Action, "logs:") {
			if !strings.Contains(g.Resource, "PromoteLogGroup") {
				t.Errorf("PromoteFunctionRole log permission %+v outside its log group", g)
			}
			continue
		}
		got = append(got, g)
	}
	sortGrants(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PromoteFunctionRole allows (-want +got):\n%s", diff)
	}
	// Nobody else in the stack may write the ledger but the Collect and Promote functions.
	for id, r := range tpl.Resources {
		if r.Type != "AWS::IAM::Role" || id == "PromoteFunctionRole" || id == "CollectFunctionRole" {
			continue
		}
		for _, g := range tpl.roleGrants(t, id, false) {
			if g.Effect == "Allow" && g.Resource == ledger && g.Action != "dynamodb:GetItem" && g.Action != "dynamodb:Query" {
				t.Errorf("%s may %s the ledger", id, g.Action)
			}
		}
	}

	for _, id := range []string{"PromoteErrorsAlarm", "PromoteFailuresAlarm"} {
		if r, ok := tpl.Resources[id]; !ok || r.Type != "AWS::CloudWatch::Alarm" {
			t.Errorf("no alarm %s", id)
		}
	}
	if m := tpl.Resources["PromoteFailuresAlarm"].Properties["MetricName"]; m != "PromotionFailures" {
		t.Errorf("PromoteFailuresAlarm metric %v; want the EMF metric PromotionFailures", m)
	}
	if d, _ := lookup(tpl.Resources["PromoteErrorsAlarm"].Properties, "Dimensions"); !strings.Contains(fmt.Sprint(d), "PromoteFunction") {
		t.Errorf("PromoteErrorsAlarm dimensions %v", d)
	}

	mk, err := exec.LookPath("make")
	if err != nil {
		return
	}
	cmd := exec.Command(mk, "-n", "build-PromoteFunction", "ARTIFACTS_DIR=/artifacts/dir")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "./functions/promote") || !strings.Contains(string(out), `-o "/artifacts/dir/bootstrap"`) {
		t.Errorf("make -n build-PromoteFunction: %v\n%s", err, out)
	}
}

// The guard's decision events are archived on the findings bus for
// DecisionArchiveRetentionDays (sidguard revert reads them).
func TestDecisionArchive(t *testing.T) {
	tpl := expand(t)
	a, ok := tpl.Resources["DecisionArchive"]
	if !ok || a.Type != "AWS::Events::Archive" {
		t.Fatalf("DecisionArchive = %+v; want an AWS::Events::Archive", a)
	}
	src, err := tpl.resolve(a.Properties["SourceArn"])
	if err != nil {
		t.Fatal(err)
	}
	if src != "arn:aws:events:"+testRegion+":"+testAccount+":event-bus/default" {
		t.Errorf("archive source %v; want the findings bus", src)
	}
	if diff := cmp.Diff(map[string]any{"source": []any{"source-identity-guard"}}, a.Properties["EventPattern"]); diff != "" {
		t.Errorf("archive pattern (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"Ref": "DecisionArchiveRetentionDays"}, a.Properties["RetentionDays"]); diff != "" {
		t.Errorf("archive retention (-want +got):\n%s", diff)
	}
}
