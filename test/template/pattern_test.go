package template

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/busqueue"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// patternCase is one event sent to the deployed pattern.
type patternCase struct {
	name  string
	event []byte // an EventBridge event (envelope + CloudTrail detail)
	want  bool   // delivered to the function
}

// The pattern CloudFormation would deploy for the Enforce queue (taken from template.yaml
// through the SAM transform, intrinsics resolved) on a moto_server rule with an SQS target,
// and an event from each kind of actor.
func TestEnforcePatternOnEventBridge(t *testing.T) {
	tpl := expand(t)
	rules := tpl.functionRules("EnforceQueue")
	if len(rules) != 1 {
		t.Fatalf("rules targeting EnforceQueue: %v; want exactly one", sortedKeys(rules))
	}
	var pattern any
	for _, r := range rules {
		var err error
		if pattern, err = tpl.resolve(r.Properties["EventPattern"]); err != nil {
			t.Fatalf("EventPattern: %v", err)
		}
	}
	patternJSON, err := json.Marshal(pattern)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("deployed pattern: %s", patternJSON)

	cases := append(sampleCases(t), actorCases(t)...)

	srv := motoserver.Start(t)
	cfg := srv.AWSConfig()
	eb := eventbridge.NewFromConfig(cfg)
	q := busqueue.Start(t, cfg, "enforce", string(patternJSON), busqueue.Options{})

	for _, c := range cases {
		entry := entryOf(t, c)
		out, err := eb.PutEvents(t.Context(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
		if err != nil {
			t.Fatalf("%s: put event: %v", c.name, err)
		}
		if out.FailedEntryCount != 0 {
			t.Fatalf("%s: put event: %d failed entries: %+v", c.name, out.FailedEntryCount, out.Entries)
		}
	}

	got := map[string]bool{}
	for _, body := range q.Drain(t) {
		var ev struct{ Resources []string }
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatalf("delivered message %q: %v", body, err)
		}
		for _, r := range ev.Resources {
			got[strings.TrimPrefix(r, caseURN)] = true
		}
	}
	want := map[string]bool{}
	for _, c := range cases {
		if c.want {
			want[c.name] = true
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events delivered to the Enforce queue (-want +got):\n%s", diff)
	}
}

// caseURN tags each sent event (in the envelope's resources, which the pattern ignores) so the
// delivered copies can be told apart.
const caseURN = "urn:test:"

func entryOf(t *testing.T, c patternCase) ebtypes.PutEventsRequestEntry {
	t.Helper()
	var ev struct {
		Source     string          `json:"source"`
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(c.event, &ev); err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return ebtypes.PutEventsRequestEntry{
		Source:     aws.String(ev.Source),
		DetailType: aws.String(ev.DetailType),
		Detail:     aws.String(string(ev.Detail)),
		Resources:  []string{caseURN + c.name},
	}
}

// sampleCases are the project's sample events (events/*.json). Samples this table does not know
// yet are expected to match when they are a successful CreateRole/UpdateAssumeRolePolicy call
// not issued by the guard.
func sampleCases(t *testing.T) []patternCase {
	t.Helper()
	known := map[string]bool{
		"create-role-aws-principal.json":     true, // IAM user
		"create-role-by-root.json":           true, // root user
		"create-role-identity-center.json":   true, // root invoked by sso.amazonaws.com (the handler skips it)
		"create-role-mixed-principals.json":  true,
		"create-role-service-principal.json": true, // assumed role (CloudFormation)
		"update-assume-role-policy.json":     true, // assumed role with a source identity
		"tag-role.json":                      true, // TagRole by an IAM user (bypass 3)
		"guard-role-retrusted.json":          true, // a change to the guard's own role (bypass 4)
		"failed-call.json":                   false,
		"guard-self-update.json":             false,
		"unrelated-iam-event.json":           false,
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var cases []patternCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		want, ok := known[name]
		if !ok {
			want = specSaysMatch(t, name, data)
			t.Logf("events/%s: not in this test's table; expecting delivered=%v from its content", name, want)
		}
		delete(known, name)
		cases = append(cases, patternCase{name: "events/" + name, event: data, want: want})
	}
	for name := range known {
		t.Errorf("events/%s is gone; update this test", name)
	}
	return cases
}

// specSaysMatch states the rule the pattern implements, for sample files added later.
func specSaysMatch(t *testing.T, name string, data []byte) bool {
	t.Helper()
	var ev struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
		Detail     struct {
			EventSource       string          `json:"eventSource"`
			EventName         string          `json:"eventName"`
			ErrorCode         json.RawMessage `json:"errorCode"`
			RequestParameters struct {
				RoleName string `json:"roleName"`
			} `json:"requestParameters"`
			UserIdentity struct {
				ARN            string `json:"arn"`
				SessionContext struct {
					SessionIssuer struct {
						ARN string `json:"arn"`
					} `json:"sessionIssuer"`
				} `json:"sessionContext"`
			} `json:"userIdentity"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("events/%s: %v", name, err)
	}
	d := ev.Detail
	// Dropped as the guard's own: only the Lambda sessions of its functions (session name
	// <stack>-...Function-...), and never a call about one of its roles.
	ownSession := strings.Contains(d.UserIdentity.ARN, ":assumed-role/source-identity-guard-") &&
		strings.Contains(d.UserIdentity.ARN, "Function-EXAMPLE") && !strings.HasPrefix(d.RequestParameters.RoleName, "source-identity-guard-")
	return ev.Source == "aws.iam" && ev.DetailType == "AWS API Call via CloudTrail" &&
		d.EventSource == "iam.amazonaws.com" &&
		(d.EventName == "CreateRole" || d.EventName == "UpdateAssumeRolePolicy" || d.EventName == "TagRole" || d.EventName == "UntagRole") &&
		d.ErrorCode == nil && !ownSession
}

// actorCases vary the actor (and a few near misses) on one UpdateAssumeRolePolicy call.
func actorCases(t *testing.T) []patternCase {
	t.Helper()
	guard := roleARN("EnforceFunctionRole")
	// assumedAs is a session of the role issuer named session; assumed, the Lambda session of
	// the function that role belongs to (the session name Lambda gives it is the function's name).
	assumedAs := func(issuer, session string) string {
		name := issuer[strings.LastIndex(issuer, "/")+1:]
		return `{"type":"AssumedRole","principalId":"AROAEXAMPLE:` + session + `","arn":"arn:aws:sts::111122223333:assumed-role/` + name + `/` + session + `",` +
			`"accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE",` +
			`"arn":"` + issuer + `","accountId":"111122223333","userName":"` + name + `"},"attributes":{"mfaAuthenticated":"false"}}}`
	}
	assumed := func(issuer string) string {
		fn := strings.Replace(issuer[strings.LastIndex(issuer, "/")+1:], "FunctionRole", "Function", 1)
		return assumedAs(issuer, fn)
	}
	role := "r"
	mk := func(name, source, detailType, eventName, userIdentity, extra string, want bool) patternCase {
		detail := `{"eventVersion":"1.09","userIdentity":` + userIdentity + `,"eventSource":"` + source +
			`","eventName":"` + eventName + `","awsRegion":"us-east-1","requestParameters":{"roleName":"` + role + `"}` + extra + `}`
		ev := `{"version":"0","id":"1","detail-type":"` + detailType + `","source":"aws.iam","account":"111122223333",` +
			`"time":"2024-08-01T13:37:41Z","region":"us-east-1","resources":[],"detail":` + detail + `}`
		if !json.Valid([]byte(ev)) {
			t.Fatalf("%s: invalid test event %s", name, ev)
		}
		return patternCase{name: name, event: []byte(ev), want: want}
	}
	const ct, iam, upd = "AWS API Call via CloudTrail", "iam.amazonaws.com", "UpdateAssumeRolePolicy"
	user := `{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"}`
	cases := []patternCase{
		mk("IAM user", iam, ct, upd, user, "", true),
		mk("root user", iam, ct, upd, `{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}`, "", true),
		mk("assumed role", iam, ct, upd, assumed("arn:aws:iam::111122223333:role/PlatformAdmin"), "", true),
		mk("AWS service", iam, ct, "CreateRole", `{"type":"AWSService","invokedBy":"cloudformation.amazonaws.com"}`, "", true),
		mk("federated user", iam, ct, upd, `{"type":"FederatedUser","principalId":"111122223333:bob","arn":"arn:aws:sts::111122223333:federated-user/bob","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/broker"}}}`, "", true),
		mk("identity center user", iam, ct, upd, `{"type":"IdentityCenterUser","accountId":"111122223333","onBehalfOf":{"userId":"u-1"}}`, "", true),
		mk("guard's own role", iam, ct, upd, assumed(guard), "", false),
		mk("guard's own role, CreateRole", iam, ct, "CreateRole", assumed(guard), "", false),
		mk("the sweep's role", iam, ct, upd, assumed(roleARN("SweepFunctionRole")), "", false),
		mk("role whose ARN extends the guard's", iam, ct, upd, assumed(guard+"2"), "", true),
		mk("failed call by an IAM user", iam, ct, upd, user, `,"errorCode":"AccessDenied","errorMessage":"no"`, false),
		mk("failed call by an assumed role", iam, ct, "CreateRole", assumed("arn:aws:iam::111122223333:role/PlatformAdmin"), `,"errorCode":"EntityAlreadyExistsException"`, false),
		mk("DeleteRole", iam, ct, "DeleteRole", user, "", false),
		mk("UpdateRole", iam, ct, "UpdateRole", user, "", false),
		mk("lower-case event name", iam, ct, "createrole", user, "", false),
		mk("other event source", "sts.amazonaws.com", ct, upd, user, "", false),
		mk("other detail-type", iam, "AWS Console Sign In via CloudTrail", upd, user, "", false),
		mk("TagRole by an IAM user", iam, ct, "TagRole", user, "", true),
		mk("UntagRole by an IAM user", iam, ct, "UntagRole", user, "", true),
		mk("TagRole by the guard's function", iam, ct, "TagRole", assumed(guard), "", false),
		mk("TagUser is not a role event", iam, ct, "TagUser", user, "", false),
		// Bypass 4: only the functions' own Lambda sessions are dropped.
		mk("another session of the guard's role", iam, ct, upd, assumedAs(guard, "stolen"), "", true),
		mk("the sweep's role, another session", iam, ct, upd, assumedAs(roleARN("SweepFunctionRole"), "x"), "", true),
		mk("the sweep's function session name on the enforce role", iam, ct, upd, assumedAs(guard, testStack+"-SweepFunction-EXAMPLE"), "", true),
	}
	// A change to one of the guard's own roles is delivered whoever makes it.
	role = testStack + "-EnforceFunctionRole-EXAMPLE"
	cases = append(cases,
		mk("the guard's function changes its own role", iam, ct, upd, assumed(guard), "", true),
		mk("the sweep's function changes the enforce role", iam, ct, upd, assumed(roleARN("SweepFunctionRole")), "", true),
	)
	role = testStack + "-SweepFunctionRole-EXAMPLE"
	cases = append(cases, mk("the guard's function changes the sweep role", iam, ct, upd, assumed(guard), "", true))
	return cases
}
