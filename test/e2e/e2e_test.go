package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// The AWS calls an event may cost (the minimum): a compliant or exempt role is one GetRole; a
// patched role adds one UpdateAssumeRolePolicy and one PutEvents; what is skipped costs nothing.
var (
	noCalls      = map[string]int{}
	readOnly     = map[string]int{"iam.GetRole": 1}
	readReport   = map[string]int{"iam.GetRole": 1, "events.PutEvents": 1}
	readWriteRep = map[string]int{"iam.GetRole": 1, "iam.UpdateAssumeRolePolicy": 1, "events.PutEvents": 1}
)

var requireRules = trustpolicy.Rules{Mode: trustpolicy.ModeRequire}

// Every sample event, through the real bootstrap, in require mode, against a role that holds
// the policy the event submitted (as IAM would after the call).
func TestSampleEvents(t *testing.T) {
	type expect struct {
		decision guard.Decision
		calls    map[string]int
	}
	want := map[string]expect{
		"create-role-aws-principal.json":     {guard.Patched, readWriteRep},
		"create-role-by-root.json":           {guard.Patched, readWriteRep},
		"create-role-identity-center.json":   {guard.Compliant, readOnly}, // judged: it trusts only its SAML provider
		"create-role-mixed-principals.json":  {guard.Patched, readWriteRep},
		"create-role-service-principal.json": {guard.Compliant, readOnly},
		"update-assume-role-policy.json":     {guard.Patched, readWriteRep},
		"tag-role.json":                      {guard.Patched, readWriteRep},  // re-judged; tags not protected
		"guard-role-retrusted.json":          {guard.Tampered, readWriteRep}, // restored and published
		"failed-call.json":                   {guard.Skipped, noCalls},
		"guard-self-update.json":             {guard.Skipped, noCalls},
		"unrelated-iam-event.json":           {guard.Skipped, noCalls},
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no events/*.json: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			event := sample(t, name)
			c, err := call(t, event)
			if err == nil && c.RoleName != "" && !c.Failed() {
				policy := c.Policy
				if policy == nil { // TagRole carries no policy: a role that trusts another account
					policy = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`)
				}
				h.createRole(t, c.RoleName, c.RolePath, policy, nil)
				c.Policy = policy
			}
			out, calls := h.invoke(t, event)
			exp, known := want[name]
			if !known {
				// A sample added after this test: it must still run cleanly and use no more
				// than the minimum calls for its decision.
				t.Logf("events/%s: no expectation in this test; got %s (%s)", name, out.Decision, out.Reason)
				exp = expect{out.Decision, minimumCalls(out.Decision)}
			}
			if out.Decision != exp.decision {
				t.Fatalf("decision = %s (%s); want %s\noutput:\n%s", out.Decision, out.Reason, exp.decision, h.emu.Output())
			}
			if diff := cmp.Diff(exp.calls, calls); diff != "" {
				t.Errorf("AWS calls for a %s event (-want +got):\n%s", out.Decision, diff)
			}
			decisions := h.decisions(t)
			if !out.Decision.PublishesFromEvent() {
				if len(decisions) != 0 {
					t.Errorf("a %s decision published %d events; want none", out.Decision, len(decisions))
				}
				return
			}
			if len(decisions) != 1 {
				t.Fatalf("decision events on the bus: %d; want 1", len(decisions))
			}
			if out.Decision == guard.Tampered {
				// Bypass 4: the guard's own role was re-trusted; the event says so and the role
				// holds the stack's trust policy again.
				if got := h.trustPolicy(t, c.RoleName); !jsonEqual(t, got, guard.OwnTrustPolicy(motoserver.AccountID)) {
					t.Errorf("tampered role not restored: %s", got)
				}
				if decisions[0].Decision != guard.Tampered {
					t.Errorf("decision event = %s; want tampered", decisions[0].Decision)
				}
				return
			}
			if out.Decision != guard.Patched {
				return
			}
			after := h.trustPolicy(t, c.RoleName)
			checkCompliant(t, after, requireRules)
			ev := decisions[0]
			if ev.Decision != guard.Patched || ev.RoleName != c.RoleName || ev.Account != c.Account {
				t.Errorf("decision event = {%s %s %s}; want {patched %s %s}", ev.Decision, ev.RoleName, ev.Account, c.RoleName, c.Account)
			}
			if !jsonEqual(t, ev.PolicyAfter, after) {
				t.Errorf("decision event policyAfter = %s; the role holds %s", ev.PolicyAfter, after)
			}
			if !jsonEqual(t, ev.PolicyBefore, c.Policy) {
				t.Errorf("decision event policyBefore = %s; the role held %s", ev.PolicyBefore, c.Policy)
			}
			if ev.Trigger == nil || ev.Trigger.EventName != c.EventName {
				t.Errorf("decision event trigger = %+v; want eventName %s", ev.Trigger, c.EventName)
			}

			// The same event again (a duplicate delivery): the role is compliant now, one read.
			again, calls := h.invoke(t, event)
			if again.Decision != guard.Compliant {
				t.Errorf("second invoke: decision = %s (%s); want compliant", again.Decision, again.Reason)
			}
			if diff := cmp.Diff(readOnly, calls); diff != "" {
				t.Errorf("second invoke: AWS calls (-want +got):\n%s", diff)
			}
			if got := h.trustPolicy(t, c.RoleName); string(got) != string(after) {
				t.Errorf("second invoke changed the policy:\n%s\nthen\n%s", after, got)
			}
		})
	}
}

func minimumCalls(d guard.Decision) map[string]int {
	switch d {
	case guard.Compliant:
		return readOnly
	case guard.Exempt:
		return readReport
	case guard.Patched:
		return readWriteRep
	case guard.WouldPatch, guard.Unfixable:
		return readReport
	case guard.Skipped:
		return noCalls
	}
	return nil
}

// The update the guard itself makes comes back as an event. The rule filters it out; should it
// arrive anyway, the handler skips it by its issuer, and an identical call by anyone else finds
// the role compliant with a single read.
func TestOwnUpdateIsANoOp(t *testing.T) {
	h := newHarness(t)
	create := sample(t, "create-role-aws-principal.json")
	c, err := call(t, create)
	if err != nil {
		t.Fatal(err)
	}
	h.createRole(t, c.RoleName, "", c.Policy, nil)
	if out, _ := h.invoke(t, create); out.Decision != guard.Patched {
		t.Fatalf("create: decision = %s (%s); want patched", out.Decision, out.Reason)
	}
	patched := h.trustPolicy(t, c.RoleName)

	self := withRoleName(t, sample(t, "guard-self-update.json"), c.RoleName)
	out, calls := h.invoke(t, self)
	if out.Decision != guard.Skipped {
		t.Errorf("own update: decision = %s (%s); want skipped", out.Decision, out.Reason)
	}
	if diff := cmp.Diff(noCalls, calls); diff != "" {
		t.Errorf("own update: AWS calls (-want +got):\n%s", diff)
	}

	other := withRoleName(t, sample(t, "update-assume-role-policy.json"), c.RoleName)
	out, calls = h.invoke(t, other)
	if out.Decision != guard.Compliant {
		t.Errorf("update by someone else after the patch: decision = %s (%s); want compliant", out.Decision, out.Reason)
	}
	if diff := cmp.Diff(readOnly, calls); diff != "" {
		t.Errorf("update by someone else after the patch: AWS calls (-want +got):\n%s", diff)
	}
	if got := h.trustPolicy(t, c.RoleName); string(got) != string(patched) {
		t.Errorf("policy changed by a no-op event:\n%s\nthen\n%s", patched, got)
	}
}

// audit reports what it would write and writes nothing; allow adds only the permission.
func TestModes(t *testing.T) {
	for _, tc := range []struct {
		mode     string
		decision guard.Decision
		calls    map[string]int
		written  bool
		rules    trustpolicy.Rules // the policy afterwards complies with these
	}{
		{"audit", guard.WouldPatch, readReport, false, trustpolicy.Rules{}},
		{"allow", guard.Patched, readWriteRep, true, trustpolicy.Rules{Mode: trustpolicy.ModeAllow}},
		{"require", guard.Patched, readWriteRep, true, requireRules},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			h := newHarness(t, "MODE="+tc.mode)
			event := sample(t, "create-role-aws-principal.json")
			c, err := call(t, event)
			if err != nil {
				t.Fatal(err)
			}
			h.createRole(t, c.RoleName, "", c.Policy, nil)
			before := h.trustPolicy(t, c.RoleName)
			out, calls := h.invoke(t, event)
			if out.Decision != tc.decision || string(out.Mode) != tc.mode {
				t.Fatalf("decision = %s in mode %q (%s); want %s in mode %s", out.Decision, out.Mode, out.Reason, tc.decision, tc.mode)
			}
			if diff := cmp.Diff(tc.calls, calls); diff != "" {
				t.Errorf("AWS calls (-want +got):\n%s", diff)
			}
			after := h.trustPolicy(t, c.RoleName)
			if changed := string(after) != string(before); changed != tc.written {
				t.Errorf("policy changed = %v; want %v\nbefore %s\nafter  %s", changed, tc.written, before, after)
			}
			if tc.written {
				checkCompliant(t, after, tc.rules)
			}
			if tc.mode == "allow" && len(check(t, after, requireRules)) == 0 {
				t.Errorf("allow mode added a source-identity condition: %s", after)
			}
			decisions := h.decisions(t)
			if len(decisions) != 1 || decisions[0].Decision != tc.decision {
				t.Fatalf("decision events = %+v; want one %s", decisions, tc.decision)
			}
			if tc.mode == "audit" {
				// The would-be fix is reported, and it would make the role compliant.
				if len(decisions[0].PolicyAfter) == 0 {
					t.Fatalf("would-patch event without policyAfter")
				}
				checkCompliant(t, decisions[0].PolicyAfter, requireRules)
			}
		})
	}
}

// Per-role tags (bypass 3): honoured only when the stack says they are protected
// (TRUST_ROLE_TAGS=true); then an exempt tag exempts (published, modeSource "tag") and a mode
// tag may lower the mode. Unprotected (the default), the same tags change nothing and the
// decision says they were ignored.
func TestRoleTags(t *testing.T) {
	event := sample(t, "create-role-aws-principal.json")
	c, err := call(t, event)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("protected", func(t *testing.T) {
		h := newHarness(t, "TRUST_ROLE_TAGS=true")
		h.createRole(t, "vendor-access", "", c.Policy, map[string]string{guard.TagExempt: "vendor cannot pass a source identity yet"})
		out, calls := h.invoke(t, withRoleName(t, event, "vendor-access"))
		if out.Decision != guard.Exempt || out.ModeSource != "tag" {
			t.Errorf("exempt-tagged role: decision = %s (%s), modeSource %q; want exempt from the tag", out.Decision, out.Reason, out.ModeSource)
		}
		if diff := cmp.Diff(readReport, calls); diff != "" {
			t.Errorf("exempt-tagged role: AWS calls (-want +got):\n%s", diff)
		}
		if got := h.trustPolicy(t, "vendor-access"); !jsonEqual(t, got, c.Policy) {
			t.Errorf("exempt-tagged role was changed: %s", got)
		}
		if ds := h.decisions(t); len(ds) != 1 || ds[0].Decision != guard.Exempt || ds[0].ModeSource != "tag" || ds[0].ExemptBy != "tag" {
			t.Errorf("decision events = %+v; want one exempt event with modeSource tag", ds)
		}

		h.createRole(t, "audit-only", "", c.Policy, map[string]string{guard.TagMode: "audit"})
		out, _ = h.invoke(t, withRoleName(t, event, "audit-only"))
		if out.Decision != guard.WouldPatch || out.ModeSource != "tag" {
			t.Errorf("role tagged mode=audit under MODE=require: decision = %s (%s), modeSource %q; want would-patch from the tag", out.Decision, out.Reason, out.ModeSource)
		}
		if got := h.trustPolicy(t, "audit-only"); !jsonEqual(t, got, c.Policy) {
			t.Errorf("role tagged mode=audit was changed: %s", got)
		}
	})
	t.Run("not protected", func(t *testing.T) {
		h := newHarness(t)
		h.createRole(t, "self-exempted", "", c.Policy, map[string]string{guard.TagExempt: "I said so"})
		out, _ := h.invoke(t, withRoleName(t, event, "self-exempted"))
		if out.Decision != guard.Patched || !strings.Contains(out.Reason, "ignored") || out.ModeSource != "" {
			t.Errorf("self-exempted role: decision = %s (%s), modeSource %q; want patched, the tag named as ignored", out.Decision, out.Reason, out.ModeSource)
		}
		checkCompliant(t, h.trustPolicy(t, "self-exempted"), requireRules)
	})
	t.Run("audit writes nothing whatever a tag says", func(t *testing.T) {
		h := newHarness(t, "TRUST_ROLE_TAGS=true", "MODE=audit")
		h.createRole(t, "tag-raises", "", c.Policy, map[string]string{guard.TagMode: "allow"})
		out, calls := h.invoke(t, withRoleName(t, event, "tag-raises"))
		if out.Decision != guard.WouldPatch || calls["iam.UpdateAssumeRolePolicy"] != 0 {
			t.Errorf("MODE=audit, tag mode=allow: decision = %s (%s), calls %v; want would-patch and no write", out.Decision, out.Reason, calls)
		}
		if got := h.trustPolicy(t, "tag-raises"); !jsonEqual(t, got, c.Policy) {
			t.Errorf("audit wrote a role because of its tag: %s", got)
		}
	})
}

// A role deleted before the function reads it is skipped, not retried forever.
func TestDeletedRoleIsSkipped(t *testing.T) {
	h := newHarness(t)
	out, calls := h.invoke(t, withRoleName(t, sample(t, "update-assume-role-policy.json"), "gone"))
	if out.Decision != guard.Skipped {
		t.Errorf("decision = %s (%s); want skipped", out.Decision, out.Reason)
	}
	if calls["iam.GetRole"] == 0 || calls["iam.UpdateAssumeRolePolicy"] != 0 || calls["events.PutEvents"] != 0 {
		t.Errorf("AWS calls = %v; want GetRole attempts only", calls)
	}
}

// A setting the function does not understand stops it at start: nothing is read or written.
func TestInvalidSettingStopsTheFunction(t *testing.T) {
	h := newHarness(t, "MODE=enforce")
	event := sample(t, "create-role-aws-principal.json")
	c, err := call(t, event)
	if err != nil {
		t.Fatal(err)
	}
	h.createRole(t, c.RoleName, "", c.Policy, nil)
	h.calls.Reset()
	inv, err := h.emu.Invoke(h.ctx, event)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	if inv.Failure() == "" {
		t.Errorf("invoke with MODE=enforce answered %s; want a failure", inv.Payload)
	}
	if !strings.Contains(h.emu.Output(), "MODE") {
		t.Errorf("the function's output does not name the variable MODE:\n%s", h.emu.Output())
	}
	if calls := h.calls.Reset(); len(calls) != 0 {
		t.Errorf("AWS calls with an invalid setting: %v; want none", calls)
	}
	if got := h.trustPolicy(t, c.RoleName); !jsonEqual(t, got, c.Policy) {
		t.Errorf("policy changed under an invalid setting: %s", got)
	}
}

func check(t *testing.T, policy []byte, r trustpolicy.Rules) []trustpolicy.Finding {
	t.Helper()
	doc, err := trustpolicy.Parse(policy)
	if err != nil {
		t.Fatalf("parse %s: %v", policy, err)
	}
	return trustpolicy.Check(doc, r)
}

func checkCompliant(t *testing.T, policy []byte, r trustpolicy.Rules) {
	t.Helper()
	if fs := check(t, policy, r); len(fs) != 0 {
		t.Errorf("policy %s is not compliant under %+v: %+v", policy, r, fs)
	}
	if !strings.Contains(string(policy), "sts:SetSourceIdentity") {
		t.Errorf("policy %s does not allow sts:SetSourceIdentity", policy)
	}
}

// jsonEqual compares two JSON documents semantically.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Errorf("not JSON: %s: %v", a, err)
		return false
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Errorf("not JSON: %s: %v", b, err)
		return false
	}
	return cmp.Equal(x, y)
}

// As an outside check runs it: MODE and AWS_ENDPOINT_URL only (no GUARD_ROLE_ARNS), and the
// samples as they are, in their own account.
func TestMinimalSettingsAndRawSamples(t *testing.T) {
	h := newHarness(t, "GUARD_ROLE_ARNS=")
	for _, name := range []string{"create-role-aws-principal.json", "update-assume-role-policy.json"} {
		event, err := os.ReadFile(filepath.Join("..", "..", "events", name))
		if err != nil {
			t.Fatal(err)
		}
		c, err := call(t, event)
		if err != nil {
			t.Fatal(err)
		}
		h.createRole(t, c.RoleName, c.RolePath, c.Policy, nil)
		out, calls := h.invoke(t, event)
		if out.Decision != guard.Patched || out.Account != sampleAccount {
			t.Errorf("%s: decision = %s for account %s (%s); want patched for %s", name, out.Decision, out.Account, out.Reason, sampleAccount)
		}
		if diff := cmp.Diff(readWriteRep, calls); diff != "" {
			t.Errorf("%s: AWS calls (-want +got):\n%s", name, diff)
		}
		checkCompliant(t, h.trustPolicy(t, c.RoleName), requireRules)
	}
}
