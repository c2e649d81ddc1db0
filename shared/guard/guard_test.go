package guard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

const (
	guardARN      = "arn:aws:iam::111122223333:role/source-identity-guard/source-identity-guard-EnforceFunctionRole-EXAMPLE"
	guardRole     = "source-identity-guard-EnforceFunctionRole-EXAMPLE"
	guardFunction = "source-identity-guard-EnforceFunction-EXAMPLE"
	// guardSession is the Lambda session of the enforce function (events/guard-self-update.json).
	guardSession = "arn:aws:sts::111122223333:assumed-role/" + guardRole + "/" + guardFunction
)

func TestHandle(t *testing.T) {
	own := []OwnRole{{Name: guardRole, TrustPolicy: OwnTrustPolicy("111122223333")}}
	require := Policy{Mode: ModeRequire, OwnRoles: own}
	audit := Policy{Mode: ModeAudit, OwnRoles: own}
	allow := Policy{Mode: ModeAllow, OwnRoles: own}
	tagsRequire := Policy{Mode: ModeRequire, TrustTags: true}
	tagsAudit := Policy{Mode: ModeAudit, TrustTags: true}
	noTags := map[string]string{}
	retrusted := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`

	tests := []struct {
		name       string
		policy     Policy
		role       iamrole.Role // the live role (absent when Name is "")
		event      func(t *testing.T) events.CloudWatchEvent
		getErr     error
		updateErr  error
		publishErr error

		wantDecision  Decision
		wantReason    string // substring
		wantErr       bool
		wantGets      int
		wantWrite     string // the policy written; "" means no write
		wantWriteMode trustpolicy.Mode
		wantPublished int
		wantMetrics   map[string]int
	}{
		{
			name:   "compliant role: one read, no write, nothing published",
			policy: require, role: role("app", "/", "COMPLIANT", noTags),
			wantDecision: Compliant, wantGets: 1,
			wantMetrics: map[string]int{"Decisions/compliant": 1},
		},
		{
			name:   "non-compliant AWS principal: one read, one write of the engine's fix, one publish",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			wantDecision: Patched, wantGets: 1, wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/patched": 1},
		},
		{
			name:   "mixed Service+AWS statement is patched",
			policy: require, role: role("app", "/", mixedPolicy, noTags),
			wantDecision: Patched, wantGets: 1, wantWrite: mixedPolicy, wantWriteMode: trustpolicy.ModeRequire, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/patched": 1},
		},
		{
			name:   "service principal only is compliant",
			policy: require, role: role("app", "/", servicePolicy, noTags),
			wantDecision: Compliant, wantGets: 1,
			wantMetrics: map[string]int{"Decisions/compliant": 1},
		},
		{
			name:   "allow mode writes the allow fix",
			policy: allow, role: role("app", "/", awsPolicy, noTags),
			wantDecision: Patched, wantGets: 1, wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeAllow, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/patched": 1},
		},
		{
			name:   "audit: no write, would-patch published",
			policy: audit, role: role("app", "/", awsPolicy, noTags),
			wantDecision: WouldPatch, wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/would-patch": 1},
		},
		{
			name:   "role on the service-linked path is judged",
			policy: require, role: role("app", "/aws-service-role/ecs.amazonaws.com/", awsPolicy, noTags),
			wantDecision: Patched, wantGets: 1, wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/patched": 1},
		},
		{
			name:   "exemption by pattern is published",
			policy: Policy{Mode: ModeRequire, ExemptRolePatterns: []string{"app"}}, role: role("app", "/", awsPolicy, noTags),
			wantDecision: Exempt, wantReason: `pattern "app"`, wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/exempt": 1},
		},
		{
			name:   "tag exempt, tags protected: exempt and published",
			policy: tagsRequire, role: role("app", "/", awsPolicy, map[string]string{TagExempt: "vendor cannot send SI"}),
			wantDecision: Exempt, wantReason: "vendor cannot send SI", wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/exempt": 1},
		},
		{
			name:   "tag exempt, tags not protected: patched, the tag named as ignored",
			policy: require, role: role("app", "/", awsPolicy, map[string]string{TagExempt: "vendor cannot send SI"}),
			wantDecision: Patched, wantReason: "ignored", wantGets: 1, wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/patched": 1},
		},
		{
			name:   "tag mode=require under MODE=audit writes nothing",
			policy: tagsAudit, role: role("app", "/", awsPolicy, map[string]string{TagMode: "require"}),
			wantDecision: WouldPatch, wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/would-patch": 1},
		},
		{
			name:   "tag mode=allow under MODE=audit writes nothing",
			policy: tagsAudit, role: role("app", "/", awsPolicy, map[string]string{TagMode: "allow"}),
			wantDecision: WouldPatch, wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/would-patch": 1},
		},
		{
			name:   "tag mode=audit spares the role under MODE=require",
			policy: tagsRequire, role: role("app", "/", awsPolicy, map[string]string{TagMode: "audit"}),
			wantDecision: WouldPatch, wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/would-patch": 1},
		},
		{
			name:   "invalid mode tag needs a person",
			policy: tagsRequire, role: role("app", "/", awsPolicy, map[string]string{TagMode: "enforce"}),
			wantDecision: Unfixable, wantReason: "enforce", wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/unfixable": 1},
		},
		{
			name:   "TagRole: the role is judged again, the tag-driven exemption published",
			policy: tagsRequire, role: role("app", "/", awsPolicy, map[string]string{TagExempt: "vendor"}),
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "TagRole", "app", "", nil)
			},
			wantDecision: Exempt, wantReason: "vendor", wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/exempt": 1},
		},
		{
			name:   "UntagRole of a protected exemption: patched",
			policy: tagsRequire, role: role("app", "/", awsPolicy, noTags),
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "UntagRole", "app", "", nil)
			},
			wantDecision: Patched, wantGets: 1, wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/patched": 1},
		},
		{
			name:   "the guard's role as the stack gives it: exempt, published",
			policy: require, role: role(guardRole, "/source-identity-guard/", string(OwnTrustPolicy("111122223333")), noTags),
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "UpdateAssumeRolePolicy", guardRole, "", nil)
			},
			wantDecision: Exempt, wantReason: "own role", wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/exempt": 1},
		},
		{
			name:   "the guard's role re-trusted: tampered, restored, published",
			policy: require, role: role(guardRole, "/source-identity-guard/", retrusted, noTags),
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "UpdateAssumeRolePolicy", guardRole, "", nil)
			},
			wantDecision: Tampered, wantReason: "restored", wantGets: 1, wantWrite: "OWN", wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/tampered": 1},
		},
		{
			name:   "the guard's role re-trusted by the guard's own session is still checked",
			policy: require, role: role(guardRole, "/source-identity-guard/", retrusted, noTags),
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "UpdateAssumeRolePolicy", guardRole, guardARN, nil)
			},
			wantDecision: Tampered, wantGets: 1, wantWrite: "OWN", wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/tampered": 1},
		},
		{
			name:   "the guard's role re-trusted in audit: tampered, not restored",
			policy: audit, role: role(guardRole, "/source-identity-guard/", retrusted, noTags),
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "UpdateAssumeRolePolicy", guardRole, "", nil)
			},
			wantDecision: Tampered, wantReason: "not restored", wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/tampered": 1},
		},
		{
			name:   "restoring fails: still tampered",
			policy: require, role: role(guardRole, "/source-identity-guard/", retrusted, noTags),
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "UpdateAssumeRolePolicy", guardRole, "", nil)
			},
			updateErr:    fmt.Errorf("update: %w", iamrole.ErrAccessDenied),
			wantDecision: Tampered, wantReason: "restoring it failed", wantGets: 1, wantWrite: "OWN", wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/tampered": 1, "Errors/update-trust-policy": 1},
		},
		{
			name:   "another session of the guard's role is judged",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "UpdateAssumeRolePolicy", "app", guardARN+"#"+guardFunction+"-stolen", nil)
			},
			wantDecision: Patched, wantGets: 1, wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/patched": 1},
		},
		{
			name:   "failed call skipped without reading the role",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "UpdateAssumeRolePolicy", "app", "", map[string]any{"errorCode": "MalformedPolicyDocumentException", "errorMessage": "bad"})
			},
			wantDecision: Skipped, wantReason: "MalformedPolicyDocumentException",
			wantMetrics: map[string]int{"Decisions/skipped": 1},
		},
		{
			name:   "the guard's own change skipped",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "UpdateAssumeRolePolicy", "app", guardARN, nil)
			},
			wantDecision: Skipped, wantReason: "own change",
			wantMetrics: map[string]int{"Decisions/skipped": 1},
		},
		{
			name:   "another role's session is not the guard",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "UpdateAssumeRolePolicy", "app", "arn:aws:iam::111122223333:role/PlatformAdmin", nil)
			},
			wantDecision: Patched, wantGets: 1, wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/patched": 1},
		},
		{
			name:   "foreign event skipped",
			policy: require,
			event: func(t *testing.T) events.CloudWatchEvent {
				ev := ctEvent(t, "CreateRole", "app", "", nil)
				ev.Source, ev.DetailType = "aws.ec2", "EC2 Instance State-change Notification"
				return ev
			},
			wantDecision: Skipped, wantReason: "not a CreateRole",
			wantMetrics: map[string]int{"Decisions/skipped": 1},
		},
		{
			name:   "other IAM call skipped",
			policy: require,
			event: func(t *testing.T) events.CloudWatchEvent {
				return ctEvent(t, "AttachRolePolicy", "app", "", nil)
			},
			wantDecision: Skipped, wantReason: "not a CreateRole",
			wantMetrics: map[string]int{"Decisions/skipped": 1},
		},
		{
			name:   "malformed detail skipped and counted as an error",
			policy: require,
			event: func(t *testing.T) events.CloudWatchEvent {
				ev := ctEvent(t, "CreateRole", "app", "", nil)
				ev.Detail = []byte(`["not", "an", "object"]`)
				return ev
			},
			wantDecision: Skipped, wantReason: "malformed",
			wantMetrics: map[string]int{"Decisions/skipped": 1, "Errors/decode": 1},
		},
		{
			name:   "event from an account this guard does not manage",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			event: func(t *testing.T) events.CloudWatchEvent {
				ev := ctEvent(t, "CreateRole", "app", "", map[string]any{"recipientAccountId": "999988887777"})
				ev.AccountID = "999988887777"
				return ev
			},
			wantDecision: Skipped, wantReason: "not managed",
			wantMetrics: map[string]int{"Decisions/skipped": 1},
		},
		{
			name:   "wildcard principal needs a person",
			policy: require, role: role("app", "/", wildcardPolicy, noTags),
			wantDecision: Unfixable, wantReason: string(trustpolicy.CodeWildcardPrincipal), wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/unfixable": 1},
		},
		{
			name:   "deny conflict needs a person",
			policy: require, role: role("app", "/", denyPolicy, noTags),
			wantDecision: Unfixable, wantReason: string(trustpolicy.CodeDenyConflict), wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/unfixable": 1},
		},
		{
			name:   "fix over the size limit is unfixable",
			policy: Policy{Mode: ModeRequire, SizeLimit: len(awsPolicy) + 1}, role: role("app", "/", awsPolicy, noTags),
			wantDecision: Unfixable, wantReason: string(trustpolicy.CodeTooLarge), wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/unfixable": 1},
		},
		{
			name:   "trust policy that does not parse needs a person",
			policy: require, role: role("app", "/", `{"Version":`, noTags),
			wantDecision: Unfixable, wantReason: "does not parse", wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/unfixable": 1},
		},
		{
			name:   "IAM refuses the document: unfixable with IAM's message",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			updateErr:    fmt.Errorf("%w: Invalid principal in policy: \"AWS\":\"AROAEXAMPLE\"", iamrole.ErrMalformedPolicy),
			wantDecision: Unfixable, wantReason: "Invalid principal in policy", wantGets: 1,
			wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/unfixable": 1},
		},
		{
			name:   "IAM quota: unfixable",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			updateErr:    fmt.Errorf("%w: Cannot exceed quota for ACLSizePerRole: 2048", iamrole.ErrLimitExceeded),
			wantDecision: Unfixable, wantReason: "ACLSizePerRole", wantGets: 1,
			wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/unfixable": 1},
		},
		{
			name:   "protected role: unfixable",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			updateErr:    fmt.Errorf("%w: Cannot perform the operation on the protected role", iamrole.ErrUnmodifiable),
			wantDecision: Unfixable, wantReason: "protected role", wantGets: 1,
			wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/unfixable": 1},
		},
		{
			name:   "AccessDenied on write: failed, published, counted, no retry",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			updateErr:    fmt.Errorf("%w: not authorized to perform iam:UpdateAssumeRolePolicy", iamrole.ErrAccessDenied),
			wantDecision: Failed, wantReason: "not authorized", wantGets: 1,
			wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/failed": 1, "Errors/update-trust-policy": 1},
		},
		{
			name:   "AccessDenied on read: failed, published, counted, no retry",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			getErr:       fmt.Errorf("%w: not authorized to perform iam:GetRole", iamrole.ErrAccessDenied),
			wantDecision: Failed, wantReason: "not authorized", wantGets: 1, wantPublished: 1,
			wantMetrics: map[string]int{"Decisions/failed": 1, "Errors/get-role": 1},
		},
		{
			name:         "role deleted before the read: skipped",
			policy:       require,
			wantDecision: Skipped, wantReason: "role deleted", wantGets: 1,
			wantMetrics: map[string]int{"Decisions/skipped": 1},
		},
		{
			name:   "role deleted before the write: skipped",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			updateErr:    fmt.Errorf("%w: The role with name app cannot be found.", iamrole.ErrNotFound),
			wantDecision: Skipped, wantReason: "role deleted", wantGets: 1,
			wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire,
			wantMetrics: map[string]int{"Decisions/skipped": 1},
		},
		{
			name:   "throttled read: error returned for a retry",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			getErr:       fmt.Errorf("%w: Rate exceeded", iamrole.ErrThrottled),
			wantDecision: Failed, wantErr: true, wantGets: 1,
			wantMetrics: map[string]int{"Decisions/failed": 1, "Errors/get-role": 1},
		},
		{
			name:   "throttled write: error returned for a retry",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			updateErr:    fmt.Errorf("%w: Rate exceeded", iamrole.ErrThrottled),
			wantDecision: Failed, wantErr: true, wantGets: 1,
			wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire,
			wantMetrics: map[string]int{"Decisions/failed": 1, "Errors/update-trust-policy": 1},
		},
		{
			name:   "publish failure after a patch: counted and logged, not returned",
			policy: require, role: role("app", "/", awsPolicy, noTags),
			publishErr:   errors.New("PutEvents: 1 of 1 entries failed: InternalFailure"),
			wantDecision: Patched, wantGets: 1, wantWrite: awsPolicy, wantWriteMode: trustpolicy.ModeRequire,
			wantMetrics: map[string]int{"Decisions/patched": 1, "PublishFailures/": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := tt.role
			if string(live.TrustPolicy) == "COMPLIANT" {
				live.TrustPolicy = []byte(fixed(t, awsPolicy, trustpolicy.ModeRequire))
			}
			var roles []iamrole.Role
			if live.Name != "" {
				roles = append(roles, live)
			}
			h := newHarness(t, tt.policy, []string{guardSession}, roles...)
			h.roles.getErr, h.roles.updateErr, h.pub.err = tt.getErr, tt.updateErr, tt.publishErr
			ev := ctEvent(t, "CreateRole", "app", "", nil)
			if tt.event != nil {
				ev = tt.event(t)
			}

			out, err := h.guard.Handle(t.Context(), ev)

			if (err != nil) != tt.wantErr {
				t.Fatalf("Handle() error = %v, want error %v", err, tt.wantErr)
			}
			if out.Decision != tt.wantDecision || !strings.Contains(out.Reason, tt.wantReason) {
				t.Errorf("Handle() = %s (%q), want %s (reason containing %q)", out.Decision, out.Reason, tt.wantDecision, tt.wantReason)
			}
			if len(h.roles.gets) != tt.wantGets {
				t.Errorf("GetRole calls = %d, want %d", len(h.roles.gets), tt.wantGets)
			}
			var wantUpdates []update
			switch tt.wantWrite {
			case "":
			case "OWN": // the stack's trust policy, restored on the guard's own role
				wantUpdates = []update{{guardRole, string(OwnTrustPolicy("111122223333"))}}
			default:
				wantUpdates = []update{{"app", fixed(t, tt.wantWrite, tt.wantWriteMode)}}
			}
			if diff := cmp.Diff(wantUpdates, h.roles.updates, cmp.AllowUnexported(update{})); diff != "" {
				t.Errorf("UpdateAssumeRolePolicy calls (-want +got):\n%s", diff)
			}
			if len(h.pub.events) != tt.wantPublished {
				t.Errorf("published %d events, want %d", len(h.pub.events), tt.wantPublished)
			}
			if out.Published != (tt.wantPublished > 0) {
				t.Errorf("Outcome.Published = %v, want %v", out.Published, tt.wantPublished > 0)
			}
			for _, de := range h.pub.events {
				if de.Decision != out.Decision || de.Reason != out.Reason || de.RoleName != live.Name || de.Account != "111122223333" {
					t.Errorf("decision event %+v does not match outcome %+v", de, out)
				}
				_, exemptTag := live.Tags[TagExempt]
				_, modeTag := live.Tags[TagMode]
				if (de.ModeSource == ModeSourceTag) != (tt.policy.TrustTags && (exemptTag || modeTag)) {
					t.Errorf("decision event modeSource %q for reason %q", de.ModeSource, de.Reason)
				}
				if de.Trigger == nil || de.Trigger.EventID != "evt-"+live.Name || de.Trigger.EventName != out.EventName || de.Trigger.Actor == "" {
					t.Errorf("decision event trigger = %+v, want the CloudTrail event", de.Trigger)
				}
			}
			if diff := cmp.Diff(tt.wantMetrics, h.metricCounts(t)); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
			lines := h.logLines(t)
			decisionLines := 0
			for _, l := range lines {
				if l["msg"] == "trust policy decision" {
					decisionLines++
					if l["decision"] != string(out.Decision) {
						t.Errorf("log decision = %v, want %s", l["decision"], out.Decision)
					}
				}
			}
			if decisionLines != 1 {
				t.Errorf("%d decision log lines, want 1:\n%s", decisionLines, h.logs.String())
			}
			if out.Findings == nil {
				t.Error("Outcome.Findings is nil; want an empty list at least")
			}
		})
	}
}

// TestHandleDecisionEvent checks the content of a published decision event.
func TestHandleDecisionEvent(t *testing.T) {
	h := newHarness(t, Policy{Mode: ModeAudit}, nil, role("app", "/team/", awsPolicy, map[string]string{}))
	out, err := h.guard.Handle(t.Context(), ctEvent(t, "UpdateAssumeRolePolicy", "app", "arn:aws:iam::111122223333:role/PlatformAdmin", nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.pub.events) != 1 {
		t.Fatalf("published %d events, want 1", len(h.pub.events))
	}
	got := h.pub.events[0]
	if got.RoleARN != "arn:aws:iam::111122223333:role/team/app" || got.Mode != ModeAudit || got.Decision != WouldPatch {
		t.Errorf("event = %+v", got)
	}
	if string(got.PolicyBefore) != awsPolicy {
		t.Errorf("PolicyBefore = %s, want %s", got.PolicyBefore, awsPolicy)
	}
	if want := fixed(t, awsPolicy, trustpolicy.ModeRequire); string(got.PolicyAfter) != want {
		t.Errorf("PolicyAfter = %s, want %s", got.PolicyAfter, want)
	}
	wantTrig := &Trigger{
		EventID: "evt-app", EventName: "UpdateAssumeRolePolicy", EventTime: "2024-08-01T13:37:41Z",
		Actor:    `AssumedRole arn:aws:sts::111122223333:assumed-role/PlatformAdmin/` + guardFunction + ` (role arn:aws:iam::111122223333:role/PlatformAdmin, source identity "bob@example.com")`,
		ActorARN: "arn:aws:sts::111122223333:assumed-role/PlatformAdmin/" + guardFunction, SourceIdentity: "bob@example.com",
	}
	if diff := cmp.Diff(wantTrig, got.Trigger); diff != "" {
		t.Errorf("trigger (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(out.Findings, got.Findings); diff != "" || len(got.Findings) == 0 {
		t.Errorf("event findings differ from the outcome's or are empty (-outcome +event):\n%s", diff)
	}
}

// TestHandleTwice: after a patch, a second event on the same role is compliant with one read.
func TestHandleTwice(t *testing.T) {
	h := newHarness(t, Policy{Mode: ModeRequire}, nil, role("app", "/", mixedPolicy, map[string]string{}))
	ev := ctEvent(t, "CreateRole", "app", "", nil)
	if out, err := h.guard.Handle(t.Context(), ev); err != nil || out.Decision != Patched {
		t.Fatalf("first Handle = %v, %v; want patched", out.Decision, err)
	}
	if out, err := h.guard.Handle(t.Context(), ev); err != nil || out.Decision != Compliant {
		t.Fatalf("second Handle = %v, %v; want compliant", out.Decision, err)
	}
	if len(h.roles.gets) != 2 || len(h.roles.updates) != 1 || len(h.pub.events) != 1 {
		t.Errorf("gets %d, updates %d, published %d; want 2, 1, 1", len(h.roles.gets), len(h.roles.updates), len(h.pub.events))
	}
}

func TestNewRequiresDependencies(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New(Config{}) succeeded; want an error naming the missing dependencies")
	}
}

// TestHandleRolesFor: the IAM client is chosen by the event's account; failing to reach an
// account is retried when the failure is transient and reported otherwise.
func TestHandleRolesFor(t *testing.T) {
	member := &fakeRoles{roles: map[string]iamrole.Role{"app": role("app", "/", awsPolicy, map[string]string{})}}
	tests := []struct {
		name         string
		rolesFor     RolesFor
		wantDecision Decision
		wantErr      bool
		wantAccount  string
	}{
		{"member account client", func(_ context.Context, account string) (Roles, error) {
			if account != "999988887777" {
				return nil, fmt.Errorf("unexpected account %s", account)
			}
			return member, nil
		}, Patched, false, "999988887777"},
		{"transient failure is retried", func(context.Context, string) (Roles, error) {
			return nil, fmt.Errorf("assume member role: %w", iamrole.ErrThrottled)
		}, Failed, true, ""},
		{"permanent failure is reported", func(context.Context, string) (Roles, error) {
			return nil, errors.New("assume member role: AccessDenied")
		}, Failed, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			member.gets, member.updates = nil, nil
			pub := &fakePublisher{}
			g, err := New(Config{Policy: Policy{}, Roles: tt.rolesFor, Publisher: pub})
			if err != nil {
				t.Fatal(err)
			}
			ev := ctEvent(t, "CreateRole", "app", "", map[string]any{"recipientAccountId": "999988887777"})
			out, err := g.Handle(t.Context(), ev)
			if (err != nil) != tt.wantErr || out.Decision != tt.wantDecision {
				t.Fatalf("Handle() = %s (%s), %v; want %s, error %v", out.Decision, out.Reason, err, tt.wantDecision, tt.wantErr)
			}
			if tt.wantAccount != "" && (len(member.updates) != 1 || len(pub.events) != 1 || pub.events[0].Account != tt.wantAccount) {
				t.Errorf("updates %d, events %+v; want one update and one event for account %s", len(member.updates), pub.events, tt.wantAccount)
			}
		})
	}
}
