package template

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
)

func TestCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		missingTool(t, "cfn-lint not on PATH", "cfn-lint 1.51 ships with the image's Python (pip install cfn-lint elsewhere)")
	}
	cmd := exec.Command(lint, templatePath(t))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("cfn-lint template.yaml: %v\n%s", err, out.String())
	}
}

// The settings the Enforce function reads (functions/enforce), each from a template parameter.
func TestEnforceFunctionSettings(t *testing.T) {
	tpl := expand(t)
	fn, ok := tpl.Resources["EnforceFunction"]
	if !ok {
		t.Fatalf("no EnforceFunction in the expanded template; resources: %v", sortedKeys(tpl.Resources))
	}
	if fn.Type != "AWS::Lambda::Function" {
		t.Fatalf("EnforceFunction is %s; want AWS::Lambda::Function", fn.Type)
	}
	for key, want := range map[string]any{
		"Runtime":       "provided.al2023",
		"Handler":       "bootstrap",
		"Architectures": []any{"arm64"},
	} {
		if diff := cmp.Diff(want, fn.Properties[key]); diff != "" {
			t.Errorf("EnforceFunction %s (-want +got):\n%s", key, diff)
		}
	}
	if got, want := fn.Metadata["BuildMethod"], "makefile"; got != want {
		t.Errorf("EnforceFunction Metadata.BuildMethod = %v; want %q", got, want)
	}
	if got, _ := lookup(fn.Properties, "LoggingConfig", "LogFormat"); got != "JSON" {
		t.Errorf("EnforceFunction LoggingConfig.LogFormat = %v; want JSON", got)
	}
	if _, err := lookup(fn.Properties, "ReservedConcurrentExecutions"); err == nil {
		t.Errorf("EnforceFunction reserves concurrency; the stack would not deploy in accounts whose quota is 10 (limit it with the event source mapping)")
	}

	vars, err := lookup(fn.Properties, "Environment", "Variables")
	if err != nil {
		t.Fatalf("EnforceFunction environment: %v", err)
	}
	got := map[string]any{}
	for k, v := range vars.(map[string]any) {
		got[k] = v
	}
	want := map[string]any{
		"MODE":                     map[string]any{"Ref": "Mode"},
		"SOURCE_IDENTITY_PATTERNS": map[string]any{"Ref": "SourceIdentityPatterns"},
		"EXEMPT_ROLE_PATTERNS":     map[string]any{"Ref": "ExemptRolePatterns"},
		"FEDERATED_PROVIDERS":      map[string]any{"Ref": "FederatedProviders"},
		"TRUST_POLICY_SIZE_LIMIT":  map[string]any{"Ref": "TrustPolicySizeLimit"},
		"FINDINGS_BUS_NAME":        map[string]any{"Ref": "FindingsBusName"},
		"TRUST_ROLE_TAGS":          map[string]any{"Ref": "ProtectedTags"},
		"GUARD_FUNCTION_NAMES":     map[string]any{"Ref": "SweepFunction"},
		"IAC_FIGHT_THRESHOLD":      map[string]any{"Ref": "IacFightThreshold"},
		"IAC_FIGHT_TABLE":          map[string]any{"Ref": "TrustPolicyWritesTable"},
	}
	for k, w := range want {
		if diff := cmp.Diff(w, got[k]); diff != "" {
			t.Errorf("EnforceFunction env %s (-want +got):\n%s", k, diff)
		}
	}
	// The guard compares these roles' trust policy with the stack's, so they must include the
	// function's execution role.
	role, err := tpl.resolve(fn.Properties["Role"])
	if err != nil {
		t.Fatalf("EnforceFunction Role: %v", err)
	}
	own, err := tpl.resolve(got["GUARD_ROLE_ARNS"])
	if err != nil {
		t.Fatalf("EnforceFunction env GUARD_ROLE_ARNS: %v", err)
	}
	ownStr, _ := own.(string)
	if !containsItem(strings.Split(ownStr, ","), role.(string)) {
		t.Errorf("GUARD_ROLE_ARNS = %q; want it to list the function's role %q", ownStr, role)
	}
}

func containsItem(items []string, s string) bool {
	for _, it := range items {
		if strings.TrimSpace(it) == s {
			return true
		}
	}
	return false
}

// Every parameter says what it is for and constrains its values.
func TestParametersAreDescribedAndConstrained(t *testing.T) {
	tpl := expand(t)
	if len(tpl.Parameters) == 0 {
		t.Fatal("template has no parameters")
	}
	// Free-text lists (patterns, globs) are validated by the function at start; an empty value
	// is meaningful for them.
	freeText := map[string]bool{"ExemptRolePatterns": true, "FederatedProviders": true}
	for _, name := range sortedKeys(tpl.Parameters) {
		p := tpl.Parameters[name]
		if d, _ := p["Description"].(string); len(d) < 20 {
			t.Errorf("parameter %s: description %q is missing or too short", name, d)
		}
		constrained := false
		for _, k := range []string{"AllowedValues", "AllowedPattern", "MinValue", "MaxValue"} {
			if _, ok := p[k]; ok {
				constrained = true
			}
		}
		if !constrained && !freeText[name] {
			t.Errorf("parameter %s: no AllowedValues, AllowedPattern or MinValue/MaxValue", name)
		}
	}
	mode := tpl.Parameters["Mode"]
	if diff := cmp.Diff([]any{"audit", "allow", "require"}, mode["AllowedValues"]); diff != "" {
		t.Errorf("parameter Mode AllowedValues (-want +got):\n%s", diff)
	}
}

// The stack refuses to deploy outside IAM's home region, where the rule would never fire.
func TestRegionAssertion(t *testing.T) {
	tpl := expand(t)
	found := false
	for _, name := range sortedKeys(tpl.Rules) {
		asserts, err := lookup(tpl.Rules[name], "Assertions")
		if err != nil {
			continue
		}
		for _, a := range asserts.([]any) {
			eq, err := lookup(a, "Assert", "Fn::Equals")
			if err != nil {
				continue
			}
			args := eq.([]any)
			if len(args) != 2 {
				continue
			}
			region, err := tpl.resolve(args[0])
			if err != nil {
				continue
			}
			home, err := tpl.resolve(args[1])
			if err != nil {
				continue
			}
			if args0, _ := args[0].(map[string]any); args0["Ref"] == "AWS::Region" {
				found = true
				if home != "us-east-1" {
					t.Errorf("rule %s: by default the stack must deploy in us-east-1, got %v (region %v)", name, home, region)
				}
			}
		}
	}
	if !found {
		t.Errorf("no Rules assertion compares AWS::Region with IAM's home region; rules: %v", sortedKeys(tpl.Rules))
	}
}

// Least privilege: the function may read and patch roles, publish on the one bus, and change
// nothing else about the guard's own roles; what its code does is bound to the function.
func TestEnforceRolePermissions(t *testing.T) {
	tpl := expand(t)
	grants := tpl.roleGrants(t, "EnforceFunctionRole", false)
	if mp, _ := tpl.Resources["EnforceFunctionRole"].Properties["ManagedPolicyArns"].([]any); len(mp) != 0 {
		t.Errorf("EnforceFunctionRole has managed policies %v; want inline least-privilege only", mp)
	}
	fn := "arn:aws:lambda:" + testRegion + ":" + testAccount + ":EnforceFunction" // GetAtt EnforceFunction.Arn
	roles := "arn:aws:iam::" + testAccount + ":role/*"
	own := "arn:aws:iam::" + testAccount + ":role/source-identity-guard/" + testStack + "/*"
	queue := "arn:aws:sqs:" + testRegion + ":" + testAccount + ":EnforceQueue"
	writes := "arn:aws:dynamodb:" + testRegion + ":" + testAccount + ":TrustPolicyWritesTable"
	want := []grant{
		// Promotions: one GetItem on the ledger per event a promotion could change.
		{"Allow", "dynamodb:GetItem", "arn:aws:dynamodb:" + testRegion + ":" + testAccount + ":EvidenceLedgerTable", fn},
		// IaC fights: count and record its writes (TrustPolicyWritesTable), nothing else there.
		{"Allow", "dynamodb:PutItem", writes, fn},
		{"Allow", "dynamodb:Query", writes, fn},
		{"Allow", "events:PutEvents", "arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/default", fn},
		{"Allow", "iam:GetRole", roles, fn},
		{"Allow", "iam:UpdateAssumeRolePolicy", roles, fn},
		{"Allow", "organizations:DescribeOrganization", "*", fn},
		// Called by the Lambda service (event source mapping), not by the code: no function ARN.
		{"Allow", "sqs:ChangeMessageVisibility", queue, ""},
		{"Allow", "sqs:DeleteMessage", queue, ""},
		{"Allow", "sqs:GetQueueAttributes", queue, ""},
		{"Allow", "sqs:ReceiveMessage", queue, ""},
	}
	var allowed []grant
	for _, g := range grants {
		switch {
		case g.Effect == "Allow" && strings.HasPrefix(g.Action, "logs:"):
			if !strings.Contains(g.Resource, "EnforceLogGroup") {
				t.Errorf("EnforceFunctionRole log permission %+v outside its log group", g)
			}
		case g.Effect == "Allow":
			allowed = append(allowed, g)
		}
	}
	sortGrants(allowed)
	if diff := cmp.Diff(want, allowed); diff != "" {
		t.Errorf("EnforceFunctionRole allows (-want +got):\n%s", diff)
	}
	for _, action := range []string{"iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:DeleteRole", "iam:UpdateRole"} {
		if !slices.Contains(grants, grant{"Deny", action, own, ""}) {
			t.Errorf("EnforceFunctionRole does not deny %s on the guard's own roles", action)
		}
	}
	// The guard's own role must sit under the path the Deny covers.
	resolved, err := tpl.resolve(tpl.Resources["EnforceFunctionRole"].Properties)
	if err != nil {
		t.Fatal(err)
	}
	if p := resolved.(map[string]any)["Path"]; p != "/source-identity-guard/"+testStack+"/" {
		t.Errorf("EnforceFunctionRole Path = %v; want it under the denied path %s", p, own)
	}
}

func asList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

// The rule delivers to a queue (retrying and dead-lettering), the queue redrives to the
// dead-letter queue, the function reads it with partial batch responses and a concurrency limit
// on the mapping, and alarms watch the dead letters, the queue's age and the errors.
func TestDeliveryFailuresAreKeptAndAlarmed(t *testing.T) {
	tpl := expand(t)
	rules := tpl.functionRules("EnforceQueue")
	if len(rules) != 1 {
		t.Fatalf("rules targeting EnforceQueue: %v; want exactly one", sortedKeys(rules))
	}
	if direct := tpl.functionRules("EnforceFunction"); len(direct) != 0 {
		t.Errorf("rules invoking EnforceFunction directly: %v; want none (the queue is in between)", sortedKeys(direct))
	}
	for id, r := range rules {
		tg := r.Properties["Targets"].([]any)[0]
		if _, err := lookup(tg, "RetryPolicy", "MaximumRetryAttempts"); err != nil {
			t.Errorf("rule %s target: no retry policy: %v", id, err)
		}
		dlq, err := lookup(tg, "DeadLetterConfig", "Arn")
		if err != nil {
			t.Fatalf("rule %s target: no dead-letter queue: %v", id, err)
		}
		if diff := cmp.Diff(map[string]any{"Fn::GetAtt": []any{"EnforceDeadLetterQueue", "Arn"}}, dlq); diff != "" {
			t.Errorf("rule %s dead-letter queue (-want +got):\n%s", id, diff)
		}
	}
	q := tpl.Resources["EnforceQueue"].Properties
	if diff := cmp.Diff(map[string]any{"Fn::GetAtt": []any{"EnforceDeadLetterQueue", "Arn"}}, must(lookup(q, "RedrivePolicy", "deadLetterTargetArn"))); diff != "" {
		t.Errorf("EnforceQueue redrive (-want +got):\n%s", diff)
	}
	timeout, _ := tpl.Resources["EnforceFunction"].Properties["Timeout"].(float64)
	if vt, _ := q["VisibilityTimeout"].(float64); vt < 6*timeout {
		t.Errorf("EnforceQueue VisibilityTimeout %v < 6 x the function's timeout %v", vt, timeout)
	}
	var mappings []resource
	for _, r := range tpl.Resources {
		if r.Type == "AWS::Lambda::EventSourceMapping" {
			if ref, _ := r.Properties["FunctionName"].(map[string]any); ref["Ref"] == "EnforceFunction" {
				mappings = append(mappings, r)
			}
		}
	}
	if len(mappings) != 1 {
		t.Fatalf("event source mappings of EnforceFunction: %d; want 1", len(mappings))
	}
	m := mappings[0].Properties
	if diff := cmp.Diff(map[string]any{"Fn::GetAtt": []any{"EnforceQueue", "Arn"}}, m["EventSourceArn"]); diff != "" {
		t.Errorf("mapping source (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"ReportBatchItemFailures"}, m["FunctionResponseTypes"]); diff != "" {
		t.Errorf("mapping FunctionResponseTypes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"Ref": "EnforceConcurrency"}, must(lookup(m, "ScalingConfig", "MaximumConcurrency"))); diff != "" {
		t.Errorf("mapping ScalingConfig.MaximumConcurrency (-want +got):\n%s", diff)
	}
	if min, _ := tpl.Parameters["EnforceConcurrency"]["MinValue"].(float64); min < 2 {
		t.Errorf("EnforceConcurrency MinValue %v; MaximumConcurrency must be at least 2", min)
	}
	alarmed := map[string]bool{}
	for _, id := range sortedKeys(tpl.Resources) {
		r := tpl.Resources[id]
		if r.Type != "AWS::CloudWatch::Alarm" || r.Properties["MetricName"] == nil {
			continue
		}
		alarmed[r.Properties["Namespace"].(string)+"/"+r.Properties["MetricName"].(string)] = true
	}
	for _, m := range []string{"AWS/SQS/ApproximateNumberOfMessagesVisible", "AWS/SQS/ApproximateAgeOfOldestMessage", "AWS/Lambda/Errors"} {
		if !alarmed[m] {
			t.Errorf("no alarm on %s; alarms: %v", m, sortedKeys(alarmed))
		}
	}
}

func must(v any, err error) any {
	if err != nil {
		return err.Error()
	}
	return v
}

// The Makefile installs the same emulator version the Go helper looks for.
func TestEmulatorPinsAgree(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RIE_VERSION\s*:?=\s*(\S+)`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile: no RIE_VERSION")
	}
	if got, want := string(m[1]), lambdaemu.RIEVersion; got != want {
		t.Errorf("Makefile RIE_VERSION = %s; want lambdaemu.RIEVersion %s", got, want)
	}
}

// sam build runs `make build-EnforceFunction` with ARTIFACTS_DIR (BuildMethod: makefile, CodeUri:
// .); the target must build the function the way Lambda runs it on provided.al2023/arm64.
func TestBuildTarget(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("SKIPPING: make not on PATH")
	}
	tpl := expand(t)
	arch, _ := tpl.Resources["EnforceFunction"].Properties["Architectures"].([]any)
	if len(arch) != 1 {
		t.Fatalf("EnforceFunction Architectures = %v; want one", arch)
	}
	cmd := exec.Command(mk, "-n", "build-EnforceFunction", "ARTIFACTS_DIR=/artifacts/dir")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n build-EnforceFunction: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + arch[0].(string), "-tags lambda.norpc", "-ldflags='-s -w'",
		"-trimpath", `-o "/artifacts/dir/bootstrap"`, "./functions/enforce",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("make build-EnforceFunction does not use %s:\n%s", want, got)
		}
	}
}
