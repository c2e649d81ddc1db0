package guard

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/source-identity-guard/source-identity-guard/shared/cloudtrail"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

// TestSampleEvents runs every events/*.json (the samples `sam local invoke` and the emulator
// tests use) through Handle with fakes. The live role is seeded with the policy the event
// submitted, as IAM would hold it after the call. A new sample needs an expectation here.
func TestSampleEvents(t *testing.T) {
	want := map[string]Decision{
		"create-role-aws-principal.json":     Patched,
		"create-role-by-root.json":           Patched,
		"create-role-identity-center.json":   Compliant, // judged: trusts only its SAML provider
		"create-role-mixed-principals.json":  Patched,
		"create-role-service-principal.json": Compliant,
		"failed-call.json":                   Skipped,
		"guard-self-update.json":             Skipped,
		"unrelated-iam-event.json":           Skipped,
		"update-assume-role-policy.json":     Patched,
		"tag-role.json":                      Patched,  // re-judged; the tag is not protected here
		"guard-role-retrusted.json":          Tampered, // the guard's own role trusts an outsider
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no events/*.json found")
	}
	seen := map[string]bool{}
	for _, file := range files {
		name := filepath.Base(file)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			wantDecision, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s: add one to TestSampleEvents", name)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var ev events.CloudWatchEvent
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Fatalf("decode %s: %v", name, err)
			}
			var roles []iamrole.Role
			if call, err := cloudtrail.Parse(ev); err == nil && call.RoleName != "" {
				path := call.RolePath
				if path == "" {
					path = "/"
				}
				policy := call.Policy
				if policy == nil {
					policy = []byte(awsPolicy)
				}
				roles = append(roles, iamrole.Role{
					Name: call.RoleName, Path: path, ARN: "arn:aws:iam::" + call.Account + ":role" + path + call.RoleName,
					TrustPolicy: policy, Tags: map[string]string{},
				})
			}
			own := []OwnRole{{Name: guardRole, TrustPolicy: OwnTrustPolicy("111122223333")}}
			h := newHarness(t, Policy{Mode: ModeRequire, OwnRoles: own}, []string{guardSession}, roles...)
			out, err := h.guard.Handle(t.Context(), ev)
			if err != nil {
				t.Fatalf("Handle(%s) error: %v", name, err)
			}
			if out.Decision != wantDecision {
				t.Errorf("Handle(%s) = %s (%s), want %s", name, out.Decision, out.Reason, wantDecision)
			}
			if (out.Decision == Patched || out.Decision == Tampered) && len(h.roles.updates) != 1 {
				t.Errorf("Handle(%s) wrote %d times, want 1", name, len(h.roles.updates))
			}
		})
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("expectation for %s, but there is no such file in events/", name)
		}
	}
}
