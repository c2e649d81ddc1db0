package template

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The Sweep function: schedule, timeout, no overlap, settings, least privilege, alarms.
func TestSweepFunction(t *testing.T) {
	tpl := expand(t)
	fn, ok := tpl.Resources["SweepFunction"]
	if !ok || fn.Type != "AWS::Lambda::Function" {
		t.Fatalf("SweepFunction = %+v; want an AWS::Lambda::Function", fn)
	}
	p := fn.Properties
	if p["Timeout"] != 900.0 || p["ReservedConcurrentExecutions"] != 1.0 {
		t.Errorf("SweepFunction Timeout %v, ReservedConcurrentExecutions %v; want 900 and 1 (sweeps never overlap)", p["Timeout"], p["ReservedConcurrentExecutions"])
	}
	vars, _ := lookup(p, "Environment", "Variables")
	env, _ := vars.(map[string]any)
	for _, k := range []string{"SWEEP_MODE", "FINDINGS_BUS_NAME", "SWEEP_POSITION_PARAMETER", "SWEEP_CONCURRENCY",
		"SWEEP_SAFETY_MARGIN_SECONDS", "GUARD_ROLE_ARNS", "SOURCE_IDENTITY_PATTERNS", "EXEMPT_ROLE_PATTERNS",
		"FEDERATED_PROVIDERS", "TRUST_POLICY_SIZE_LIMIT"} {
		if _, ok := env[k]; !ok {
			t.Errorf("SweepFunction has no %s", k)
		}
	}
	if diff := cmp.Diff([]any{"audit", "allow", "require"}, tpl.Parameters["SweepMode"]["AllowedValues"]); diff != "" {
		t.Errorf("SweepMode AllowedValues (-want +got):\n%s", diff)
	}
	if d := tpl.Parameters["SweepMode"]["Default"]; d != "audit" {
		t.Errorf("SweepMode default %v; want audit (report the estate first)", d)
	}

	var schedule *resource
	for id, r := range tpl.Resources {
		if r.Type == "AWS::Events::Rule" && strings.HasPrefix(id, "SweepFunction") {
			schedule = &r
		}
	}
	if schedule == nil {
		t.Fatal("no schedule rule for SweepFunction")
	}
	if se, ok := schedule.Properties["ScheduleExpression"].(map[string]any); !ok || se["Ref"] != "SweepSchedule" {
		t.Errorf("schedule expression %v; want Ref SweepSchedule", schedule.Properties["ScheduleExpression"])
	}

	if _, ok := tpl.Resources["SweepPositionParameter"]; !ok {
		t.Error("no SweepPositionParameter (where an unfinished sweep resumes)")
	}
	for _, id := range []string{"SweepErrorsAlarm", "SweepIncompleteAlarm"} {
		if r, ok := tpl.Resources[id]; !ok || r.Type != "AWS::CloudWatch::Alarm" {
			t.Errorf("no alarm %s", id)
		}
	}
	if m := tpl.Resources["SweepIncompleteAlarm"].Properties["MetricName"]; m != "SweepIncomplete" {
		t.Errorf("SweepIncompleteAlarm metric %v; want the EMF metric SweepIncomplete", m)
	}
}

func TestSweepRolePermissions(t *testing.T) {
	tpl := expand(t)
	role, ok := tpl.Resources["SweepFunctionRole"]
	if !ok {
		t.Fatal("no SweepFunctionRole")
	}
	resolved, err := tpl.resolve(role.Properties)
	if err != nil {
		t.Fatalf("SweepFunctionRole: %v", err)
	}
	policies, _ := resolved.(map[string]any)["Policies"].([]any)
	var allowed, denied []string
	for _, p := range policies {
		stmts, _ := lookup(p, "PolicyDocument", "Statement")
		for _, s := range stmts.([]any) {
			m := s.(map[string]any)
			for _, a := range asList(m["Action"]) {
				for _, r := range asList(m["Resource"]) {
					if m["Effect"] == "Allow" {
						allowed = append(allowed, a+" "+r)
					} else {
						denied = append(denied, a+" "+r)
					}
				}
			}
		}
	}
	roles := "arn:aws:iam::" + testAccount + ":role/*"
	want := []string{
		"events:PutEvents arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/default",
		"iam:ListRoleTags " + roles,
		"iam:ListRoles *", // ListRoles has no resource type
		"iam:UpdateAssumeRolePolicy " + roles,
		"ssm:GetParameter arn:aws:ssm:" + testRegion + ":" + testAccount + ":parameter/source-identity-guard/" + testStack + "/sweep-position",
		"ssm:PutParameter arn:aws:ssm:" + testRegion + ":" + testAccount + ":parameter/source-identity-guard/" + testStack + "/sweep-position",
	}
	var got []string
	for _, a := range allowed {
		if !strings.HasPrefix(a, "logs:") {
			got = append(got, a)
		} else if !strings.Contains(a, "SweepLogGroup") { // the resolver names !GetAtt SweepLogGroup.Arn by its id
			t.Errorf("SweepFunctionRole log permission %q outside its log group", a)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SweepFunctionRole allows (-want +got):\n%s", diff)
	}
	own := "iam:UpdateAssumeRolePolicy arn:aws:iam::" + testAccount + ":role/source-identity-guard/" + testStack + "/*"
	if !slices.Contains(denied, own) {
		t.Errorf("SweepFunctionRole denies %v; want %q", denied, own)
	}
}

func TestSweepBuildTarget(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("SKIPPING: make not on PATH")
	}
	cmd := exec.Command(mk, "-n", "build-SweepFunction", "ARTIFACTS_DIR=/artifacts/dir")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n build-SweepFunction: %v\n%s", err, out)
	}
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "-tags lambda.norpc", `-o "/artifacts/dir/bootstrap"`, "./functions/sweep"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("make build-SweepFunction does not use %s:\n%s", want, out)
		}
	}
}
