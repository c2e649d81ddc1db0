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
	if p["Timeout"] != 900.0 || p["ReservedConcurrentExecutions"] != nil {
		t.Errorf("SweepFunction Timeout %v, ReservedConcurrentExecutions %v; want 900 and none (the lease keeps sweeps apart)", p["Timeout"], p["ReservedConcurrentExecutions"])
	}
	vars, _ := lookup(p, "Environment", "Variables")
	env, _ := vars.(map[string]any)
	for _, k := range []string{"SWEEP_MODE", "FINDINGS_BUS_NAME", "SWEEP_POSITION_PARAMETER", "SWEEP_CONCURRENCY",
		"SWEEP_SAFETY_MARGIN_SECONDS", "GUARD_ROLE_ARNS", "SOURCE_IDENTITY_PATTERNS", "EXEMPT_ROLE_PATTERNS",
		"FEDERATED_PROVIDERS", "TRUST_POLICY_SIZE_LIMIT", "SWEEP_POSITION_KEY_ID", "SWEEP_LOCK_TABLE", "TRUST_ROLE_TAGS",
		"IAC_FIGHT_THRESHOLD", "IAC_FIGHT_TABLE"} {
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
	fn := "arn:aws:lambda:" + testRegion + ":" + testAccount + ":SweepFunction"
	roles := "arn:aws:iam::" + testAccount + ":role/*"
	want := []grant{
		{"Allow", "dynamodb:DeleteItem", "arn:aws:dynamodb:" + testRegion + ":" + testAccount + ":SweepLockTable", fn},
		{"Allow", "dynamodb:PutItem", "arn:aws:dynamodb:" + testRegion + ":" + testAccount + ":SweepLockTable", fn},
		{"Allow", "dynamodb:PutItem", "arn:aws:dynamodb:" + testRegion + ":" + testAccount + ":TrustPolicyWritesTable", fn}, // IaC fights
		{"Allow", "dynamodb:Query", "arn:aws:dynamodb:" + testRegion + ":" + testAccount + ":EvidenceLedgerTable", fn},      // promotions, once per run
		{"Allow", "dynamodb:Query", "arn:aws:dynamodb:" + testRegion + ":" + testAccount + ":TrustPolicyWritesTable", fn},
		{"Allow", "events:PutEvents", "arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/default", fn},
		// GetRole, not ListRoleTags: the sweep re-reads a role (document and tags) before it writes.
		{"Allow", "iam:GetRole", roles, fn},
		{"Allow", "iam:ListRoles", "*", fn}, // ListRoles has no resource type
		{"Allow", "iam:UpdateAssumeRolePolicy", roles, fn},
		{"Allow", "organizations:DescribeOrganization", "*", fn},
		{"Allow", "ssm:GetParameter", "arn:aws:ssm:" + testRegion + ":" + testAccount + ":parameter/source-identity-guard/" + testStack + "/sweep-position", fn},
		{"Allow", "ssm:PutParameter", "arn:aws:ssm:" + testRegion + ":" + testAccount + ":parameter/source-identity-guard/" + testStack + "/sweep-position", fn},
	}
	var got []grant
	var denied []grant
	for _, g := range tpl.roleGrants(t, "SweepFunctionRole", false) {
		switch {
		case g.Effect == "Deny":
			denied = append(denied, g)
		case strings.HasPrefix(g.Action, "logs:"):
			if !strings.Contains(g.Resource, "SweepLogGroup") { // the resolver names !GetAtt SweepLogGroup.Arn by its id
				t.Errorf("SweepFunctionRole log permission %+v outside its log group", g)
			}
		default:
			got = append(got, g)
		}
	}
	sortGrants(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SweepFunctionRole allows (-want +got):\n%s", diff)
	}
	own := "arn:aws:iam::" + testAccount + ":role/source-identity-guard/" + testStack + "/*"
	if !slices.Contains(denied, grant{"Deny", "iam:PutRolePolicy", own, ""}) {
		t.Errorf("SweepFunctionRole denies %v; want iam:PutRolePolicy on %s", denied, own)
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
