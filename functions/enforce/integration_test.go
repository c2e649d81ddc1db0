package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/busqueue"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/callcount"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

const (
	awsPolicy     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	servicePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	mixedPolicy   = `{"Version":"2012-10-17","Statement":[{"Sid":"Both","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"arn:aws:iam::123456789012:role/ci-runner"},"Action":"sts:AssumeRole"}]}`
	// moto's UpdateAssumeRolePolicy accepts only exact sts: action names, so the patched form of
	// this document (it keeps the wildcard) is refused: IAM's MalformedPolicyDocument path.
	wildcardActionPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRol*"}]}`
)

// TestGuardAgainstMoto runs the guard with the real iamrole and eventbus adapters (wired by
// newGuard, as in Lambda) against moto_server: roles are created in moto, Handle runs on
// CloudTrail-shaped events, the roles are read back, and the decision events are read from an
// SQS queue that a rule on the findings bus feeds. A counting proxy checks the API calls.
func TestGuardAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	proxy, err := callcount.Start(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })

	ctx := t.Context()
	cfg := srv.AWSConfig()

	// Decision events: rule on the default bus -> SQS.
	iamc := iam.NewFromConfig(cfg)
	q := busqueue.Start(t, cfg, "decisions", fmt.Sprintf(`{"source":[%q],"detail-type":[%q]}`, guard.EventSource, guard.EventDetailType), busqueue.Options{})

	roles := []struct {
		name, policy string
		tags         map[string]string
		want         guard.Decision
		wantReason   string
		wantChanged  bool
		wantCalls    map[string]int
	}{
		{"app-deployer", awsPolicy, nil, guard.Patched, "", true, patchCalls},
		{"lambda-fn", servicePolicy, nil, guard.Compliant, "", false, readCalls},
		{"batch-worker", mixedPolicy, nil, guard.Patched, "", true, patchCalls},
		{"vendor-tool", awsPolicy, map[string]string{guard.TagExempt: "vendor cannot send a source identity"}, guard.Exempt, "vendor cannot", false, map[string]int{"iam.GetRole": 1, "events.PutEvents": 1}},
		{"audited", awsPolicy, map[string]string{guard.TagMode: "audit"}, guard.WouldPatch, "", false, map[string]int{"iam.GetRole": 1, "events.PutEvents": 1}},
		{"wildcard-action", wildcardActionPolicy, nil, guard.Unfixable, "malformed policy document", false, patchCalls},
	}
	for _, r := range roles {
		in := &iam.CreateRoleInput{RoleName: aws.String(r.name), AssumeRolePolicyDocument: aws.String(r.policy)}
		for k, v := range r.tags {
			in.Tags = append(in.Tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		if _, err := iamc.CreateRole(ctx, in); err != nil {
			t.Fatalf("create role %s: %v", r.name, err)
		}
	}

	env := map[string]string{"MODE": "require", "TRUST_ROLE_TAGS": "true"}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	env["AWS_ENDPOINT_URL"] = proxy.URL
	g, err := newGuard(lookupFrom(env), slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}

	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			proxy.Reset()
			out, err := g.Handle(ctx, createRoleEvent(t, r.name, r.policy))
			if err != nil {
				t.Fatalf("Handle() error: %v", err)
			}
			if out.Decision != r.want || !strings.Contains(out.Reason, r.wantReason) {
				t.Fatalf("Handle() = %s (%s), want %s (reason containing %q)", out.Decision, out.Reason, r.want, r.wantReason)
			}
			if diff := cmp.Diff(r.wantCalls, proxy.Counts()); diff != "" {
				t.Errorf("API calls (-want +got):\n%s", diff)
			}
			live := getPolicy(t, iamc, r.name)
			if changed := live != r.policy; changed != r.wantChanged {
				t.Errorf("policy changed = %v, want %v; now %s", changed, r.wantChanged, live)
			}
			if r.want == guard.Patched {
				doc, err := trustpolicy.Parse([]byte(live))
				if err != nil {
					t.Fatalf("patched policy does not parse: %v", err)
				}
				if f := trustpolicy.Check(doc, trustpolicy.Rules{}); len(f) != 0 {
					t.Errorf("patched policy still has findings %v", f)
				}
				// A second event on the same role: compliant, exactly one GetRole.
				proxy.Reset()
				again, err := g.Handle(ctx, createRoleEvent(t, r.name, r.policy))
				if err != nil || again.Decision != guard.Compliant {
					t.Errorf("second Handle() = %s (%s), %v; want compliant", again.Decision, again.Reason, err)
				}
				if diff := cmp.Diff(readCalls, proxy.Counts()); diff != "" {
					t.Errorf("second Handle() API calls (-want +got):\n%s", diff)
				}
			}
		})
	}

	// Every publishing decision reached the bus once, with the role, the decision and the trigger.
	want := map[string]guard.Decision{}
	for _, r := range roles {
		if r.want.PublishesFromEvent() {
			want[r.name] = r.want
		}
	}
	got := map[string]guard.Decision{}
	for _, body := range q.Wait(t) {
		var ev struct {
			Source     string              `json:"source"`
			DetailType string              `json:"detail-type"`
			Resources  []string            `json:"resources"`
			Detail     guard.DecisionEvent `json:"detail"`
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatalf("decode message %s: %v", body, err)
		}
		d := ev.Detail
		if _, dup := got[d.RoleName]; dup {
			t.Errorf("second decision event for %s", d.RoleName)
		}
		got[d.RoleName] = d.Decision
		if d.Trigger == nil || d.Trigger.EventID != "evt-"+d.RoleName || d.Account != motoserver.AccountID || len(d.PolicyBefore) == 0 {
			t.Errorf("decision event for %s lacks the trigger, account or policy: %+v", d.RoleName, d)
		}
		if len(ev.Resources) != 1 || ev.Resources[0] != d.RoleARN {
			t.Errorf("event resources = %v, want [%s]", ev.Resources, d.RoleARN)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decision events on the bus (-want +got):\n%s", diff)
	}
}

var (
	readCalls  = map[string]int{"iam.GetRole": 1}
	patchCalls = map[string]int{"iam.GetRole": 1, "iam.UpdateAssumeRolePolicy": 1, "events.PutEvents": 1}
)

func getPolicy(t *testing.T, c *iam.Client, name string) string {
	t.Helper()
	out, err := c.GetRole(t.Context(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := url.PathUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func createRoleEvent(t *testing.T, role, policy string) events.CloudWatchEvent {
	t.Helper()
	detail, err := json.Marshal(map[string]any{
		"eventVersion": "1.09", "eventSource": "iam.amazonaws.com", "eventName": "CreateRole",
		"awsRegion": "us-east-1", "eventID": "evt-" + role, "recipientAccountId": motoserver.AccountID,
		"eventTime":         "2024-08-01T13:37:41Z",
		"userIdentity":      map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::" + motoserver.AccountID + ":user/alice"},
		"requestParameters": map[string]any{"roleName": role, "assumeRolePolicyDocument": policy},
	})
	if err != nil {
		t.Fatal(err)
	}
	return events.CloudWatchEvent{
		Version: "0", ID: "eb-" + role, DetailType: "AWS API Call via CloudTrail", Source: "aws.iam",
		AccountID: motoserver.AccountID, Region: "us-east-1", Resources: []string{}, Detail: detail,
	}
}
