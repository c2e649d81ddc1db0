package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/source-identity-guard/source-identity-guard/shared/emf"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// fakeRoles is a hand-written Roles: a map of live roles plus scripted errors. It records calls.
type fakeRoles struct {
	roles     map[string]iamrole.Role
	getErr    error
	updateErr error

	gets    []string
	updates []update
}

type update struct {
	name   string
	policy string
}

func (f *fakeRoles) Get(_ context.Context, name string) (iamrole.Role, error) {
	f.gets = append(f.gets, name)
	if f.getErr != nil {
		return iamrole.Role{}, f.getErr
	}
	r, ok := f.roles[name]
	if !ok {
		return iamrole.Role{}, fmt.Errorf("get role %q: %w", name, iamrole.ErrNotFound)
	}
	return r, nil
}

func (f *fakeRoles) UpdateTrustPolicy(_ context.Context, name string, policy []byte) error {
	f.updates = append(f.updates, update{name, string(policy)})
	if f.updateErr != nil {
		return f.updateErr
	}
	r := f.roles[name]
	r.TrustPolicy = policy
	f.roles[name] = r
	return nil
}

// fakePublisher records decision events; err makes every Publish fail.
type fakePublisher struct {
	events []DecisionEvent
	err    error
}

func (p *fakePublisher) Publish(_ context.Context, ev DecisionEvent) error {
	if p.err != nil {
		return p.err
	}
	p.events = append(p.events, ev)
	return nil
}

// harness wires a Guard to fakes and captures its log and metric lines.
type harness struct {
	roles   *fakeRoles
	pub     *fakePublisher
	guard   *Guard
	logs    bytes.Buffer
	metrics bytes.Buffer
}

func newHarness(t *testing.T, p Policy, ownSessions []string, roles ...iamrole.Role) *harness {
	t.Helper()
	h := &harness{roles: &fakeRoles{roles: map[string]iamrole.Role{}}, pub: &fakePublisher{}}
	for _, r := range roles {
		h.roles.roles[r.Name] = r
	}
	m := emf.New(&h.metrics, emf.Namespace)
	m.Now = func() time.Time { return time.UnixMilli(1_700_000_000_000) }
	g, err := New(Config{
		Policy:      p,
		Roles:       SingleAccount(h.roles, "111122223333"),
		Publisher:   h.pub,
		OwnSessions: ownSessions,
		Logger:      slog.New(slog.NewJSONHandler(&h.logs, nil)),
		Metrics:     m,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.guard = g
	return h
}

// metricCounts returns "Metric/dimensionValue" -> count from the EMF lines written.
func (h *harness) metricCounts(t *testing.T) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(h.metrics.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		for _, name := range []string{MetricDecisions, MetricErrors, MetricPublishFailures} {
			if _, ok := m[name]; !ok {
				continue
			}
			dim := ""
			for _, k := range []string{"decision", "operation"} {
				if v, ok := m[k].(string); ok {
					dim = v
				}
			}
			counts[name+"/"+dim]++
		}
	}
	return counts
}

// logLines decodes the JSON log lines.
func (h *harness) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// Policies used across the tests.
const (
	awsPolicy      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	servicePolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	mixedPolicy    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"arn:aws:iam::111122223333:role/ci-runner"},"Action":"sts:AssumeRole"}]}`
	wildcardPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`
	denyPolicy     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:SetSourceIdentity"}]}`
)

// fixed runs the engine: the document Fix produces for policy under mode (the test's oracle
// for "the engine's fixed doc").
func fixed(t *testing.T, policy string, mode trustpolicy.Mode) string {
	t.Helper()
	d, err := trustpolicy.Parse([]byte(policy))
	if err != nil {
		t.Fatalf("Parse(%s): %v", policy, err)
	}
	f, _ := trustpolicy.Fix(d, trustpolicy.Rules{Mode: mode})
	if f == d {
		t.Fatalf("Fix(%s) changed nothing", policy)
	}
	b, err := f.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func role(name, path, policy string, tags map[string]string) iamrole.Role {
	return iamrole.Role{
		Name:        name,
		Path:        path,
		ARN:         "arn:aws:iam::111122223333:role" + path + name,
		ID:          "AROAEXAMPLE" + strings.ToUpper(name),
		TrustPolicy: []byte(policy),
		Tags:        tags,
	}
}

// ctEvent builds a CloudTrail "AWS API Call via CloudTrail" event for eventName on roleName,
// made by actorRoleARN's session (an IAM user when actorRoleARN is ""); extra detail fields
// (e.g. errorCode) are merged in.
func ctEvent(t *testing.T, eventName, roleName, actorRoleARN string, extra map[string]any) events.CloudWatchEvent {
	t.Helper()
	ui := map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333", "userName": "alice"}
	if actorRoleARN != "" {
		session := guardFunction
		if i := strings.Index(actorRoleARN, "#"); i >= 0 { // ARN#SESSION names another session
			actorRoleARN, session = actorRoleARN[:i], actorRoleARN[i+1:]
		}
		roleName := actorRoleARN[strings.LastIndex(actorRoleARN, "/")+1:]
		ui = map[string]any{
			"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/" + roleName + "/" + session, "accountId": "111122223333",
			"sessionContext": map[string]any{
				"sessionIssuer":  map[string]any{"type": "Role", "arn": actorRoleARN, "accountId": "111122223333"},
				"sourceIdentity": "bob@example.com",
			},
		}
	}
	params := map[string]any{"roleName": roleName}
	if eventName == "CreateRole" {
		params["assumeRolePolicyDocument"] = awsPolicy
	} else {
		params["policyDocument"] = awsPolicy
	}
	detail := map[string]any{
		"eventVersion": "1.09", "userIdentity": ui, "eventTime": "2024-08-01T13:37:41Z",
		"eventSource": "iam.amazonaws.com", "eventName": eventName, "awsRegion": "us-east-1",
		"requestParameters": params, "eventID": "evt-" + roleName, "recipientAccountId": "111122223333",
	}
	for k, v := range extra {
		detail[k] = v
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		t.Fatal(err)
	}
	return events.CloudWatchEvent{
		Version: "0", ID: "eb-" + roleName, DetailType: "AWS API Call via CloudTrail", Source: "aws.iam",
		AccountID: "111122223333", Time: time.Date(2024, 8, 1, 13, 37, 41, 0, time.UTC), Region: "us-east-1",
		Resources: []string{}, Detail: raw,
	}
}
