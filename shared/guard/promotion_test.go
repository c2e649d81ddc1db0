package guard

import (
	"context"
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

func TestPromotionKey(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:iam::111122223333:role/ci/Deployer":        "aws:111122223333:deployer",
		"arn:aws:iam::111122223333:role/deployer":           "aws:111122223333:deployer",
		"arn:aws-us-gov:iam::111122223333:role/x":           "aws-us-gov:111122223333:x",
		"arn:aws:sts::111122223333:assumed-role/deployer/s": "",
		"arn:aws:iam::111122223333:user/deployer":           "",
		"arn:aws:iam::1111:role/deployer":                   "",
		"deployer":                                          "",
		"arn:aws:iam::111122223333:role/ci/":                "",
	} {
		if got := PromotionKey(arn); got != want {
			t.Errorf("PromotionKey(%q) = %q, want %q", arn, got, want)
		}
	}
}

func TestDecidePromoted(t *testing.T) {
	promoted := Promotions{PromotionKey("arn:aws:iam::111122223333:role/app"): true}
	tags := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name       string
		policy     Policy
		role       iamrole.Role
		decision   Decision
		mode       Mode
		modeSource string
		writeMode  trustpolicy.Mode // "" no write
	}{
		{"allow and promoted: patched to require", Policy{Mode: ModeAllow, Promoted: promoted}, role("app", "/", awsPolicy, nil),
			Patched, ModeRequire, ModeSourcePromotion, trustpolicy.ModeRequire},
		{"allow, not promoted: patched to allow", Policy{Mode: ModeAllow, Promoted: promoted}, role("other", "/", awsPolicy, nil),
			Patched, ModeAllow, ModeSourceStack, trustpolicy.ModeAllow},
		{"allow-compliant and promoted: patched to require", Policy{Mode: ModeAllow, Promoted: promoted},
			role("app", "/", fixedAllow, nil), Patched, ModeRequire, ModeSourcePromotion, trustpolicy.ModeRequire},
		{"already requires: compliant, promotion not involved", Policy{Mode: ModeAllow, Promoted: promoted},
			role("app", "/", "COMPLIANT", nil), Compliant, ModeAllow, ModeSourceStack, ""},
		{"tag allow and promoted: require", Policy{Mode: ModeRequire, TrustTags: true, Promoted: promoted},
			role("app", "/", awsPolicy, tags(TagMode, "allow")), Patched, ModeRequire, ModeSourcePromotion, trustpolicy.ModeRequire},
		{"tag audit wins over a promotion", Policy{Mode: ModeAllow, TrustTags: true, Promoted: promoted},
			role("app", "/", awsPolicy, tags(TagMode, "audit")), WouldPatch, ModeAudit, ModeSourceTag, ""},
		{"exempt tag wins over a promotion", Policy{Mode: ModeAllow, TrustTags: true, Promoted: promoted},
			role("app", "/", awsPolicy, tags(TagExempt, "vendor")), Exempt, ModeAllow, ModeSourceTag, ""},
		{"configured audit never writes", Policy{Mode: ModeAudit, Promoted: promoted}, role("app", "/", awsPolicy, nil),
			WouldPatch, ModeAudit, ModeSourceStack, ""},
		{"exempt pattern wins over a promotion", Policy{Mode: ModeAllow, ExemptRolePatterns: []string{"app"}, Promoted: promoted},
			role("app", "/", awsPolicy, nil), Exempt, ModeAllow, ModeSourceStack, ""},
		{"name case and path do not matter", Policy{Mode: ModeAllow, Promoted: promoted}, role("APP", "/team/", awsPolicy, nil),
			Patched, ModeRequire, ModeSourcePromotion, trustpolicy.ModeRequire},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.role.TrustPolicy = []byte(strings.ReplaceAll(string(tt.role.TrustPolicy), "COMPLIANT", fixed(t, awsPolicy, trustpolicy.ModeRequire)))
			v := tt.policy.Decide(tt.role)
			if v.Decision != tt.decision || v.Mode != tt.mode || v.ModeSource != tt.modeSource {
				t.Fatalf("got %s mode %s (%s), want %s mode %s (%s): %s", v.Decision, v.Mode, v.ModeSource, tt.decision, tt.mode, tt.modeSource, v.Reason)
			}
			if tt.writeMode == "" {
				if v.NeedsWrite() {
					t.Fatalf("asks for a write: %s", v.After)
				}
				return
			}
			if want := fixed(t, string(tt.role.TrustPolicy), tt.writeMode); string(v.After) != want {
				t.Fatalf("writes %s, want %s", v.After, want)
			}
		})
	}
}

// fixedAllow is awsPolicy as mode allow leaves it (compliant under allow, not under require).
var fixedAllow = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`

// A promotion only raises a role's mode: whatever the role and settings, the verdict with the
// role promoted is the verdict without it, except that a role judged under allow may be
// judged under require; an exemption, an audit or a require verdict never changes, and audit
// never asks for a write.
func TestPromotionOnlyRaises(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := genRole(t)
		r.ARN = "arn:aws:iam::111122223333:role" + r.Path + r.Name
		p := genPolicy(t)
		before := p.Decide(r)
		p.Promoted = Promotions{PromotionKey(r.ARN): true}
		after := p.Decide(r)
		if before.Mode != ModeAllow || before.Decision == Exempt || before.Decision == Tampered {
			if after.Decision != before.Decision || after.Mode != before.Mode || after.ModeSource != before.ModeSource ||
				string(after.After) != string(before.After) {
				t.Fatalf("promotion changed a %s/%s verdict: %+v -> %+v", before.Decision, before.Mode, before, after)
			}
			return
		}
		if after.Mode == ModeAllow {
			if after.ModeSource == ModeSourcePromotion {
				t.Fatalf("promotion source but mode allow: %+v", after)
			}
		} else if after.Mode != ModeRequire || after.ModeSource != ModeSourcePromotion {
			t.Fatalf("allow became %s (%s)", after.Mode, after.ModeSource)
		}
		if p.Mode == ModeAudit && after.NeedsWrite() && after.Decision != Tampered {
			t.Fatalf("audit asks for a write after a promotion: %+v", after)
		}
		if after.Decision == Exempt && before.Decision != Exempt {
			t.Fatalf("a promotion exempted a role")
		}
		if p.PromotionMatters(r) != (after.ModeSource == ModeSourcePromotion) {
			t.Fatalf("PromotionMatters disagrees with the verdict")
		}
	})
}

// fakePromotions answers Promoted from a set and counts the reads.
type fakePromotions struct {
	set   Promotions
	err   error
	reads int
}

func (f *fakePromotions) Promoted(_ context.Context, arn string) (bool, error) {
	f.reads++
	return f.set.Has(arn), f.err
}

func TestHandleHonoursPromotion(t *testing.T) {
	promoted := Promotions{PromotionKey("arn:aws:iam::111122223333:role/app"): true}
	tests := []struct {
		name       string
		mode       Mode
		role       iamrole.Role
		storeErr   error
		decision   Decision
		modeSource string
		writeMode  trustpolicy.Mode
		reads      int
		reason     string
	}{
		{"promoted role in allow: patched to require", ModeAllow, role("app", "/", awsPolicy, map[string]string{}), nil,
			Patched, ModeSourcePromotion, trustpolicy.ModeRequire, 1, ""},
		{"role not promoted: patched to allow", ModeAllow, role("other", "/", awsPolicy, map[string]string{}), nil,
			Patched, "", trustpolicy.ModeAllow, 1, ""},
		{"stack require: no read", ModeRequire, role("app", "/", awsPolicy, map[string]string{}), nil,
			Patched, "", trustpolicy.ModeRequire, 0, ""},
		{"already requires: no read", ModeAllow, role("app", "/", "COMPLIANT", map[string]string{}), nil,
			Compliant, "", "", 0, ""},
		{"ledger unreadable: allow, said and counted", ModeAllow, role("app", "/", awsPolicy, map[string]string{}), errors.New("throttled"),
			Patched, "", trustpolicy.ModeAllow, 1, "promotion not read: throttled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.role.TrustPolicy = []byte(strings.ReplaceAll(string(tt.role.TrustPolicy), "COMPLIANT", fixed(t, awsPolicy, trustpolicy.ModeRequire)))
			h := newHarness(t, Policy{Mode: tt.mode}, nil, tt.role)
			store := &fakePromotions{set: promoted, err: tt.storeErr}
			h.guard.cfg.Promotions = store
			out, err := h.guard.Handle(context.Background(), ctEvent(t, "UpdateAssumeRolePolicy", tt.role.Name, "", nil))
			if err != nil {
				t.Fatal(err)
			}
			if out.Decision != tt.decision || out.ModeSource != tt.modeSource || store.reads != tt.reads {
				t.Fatalf("got %s (%q), %d reads; want %s (%q), %d reads: %s", out.Decision, out.ModeSource, store.reads,
					tt.decision, tt.modeSource, tt.reads, out.Reason)
			}
			if !strings.Contains(out.Reason, tt.reason) {
				t.Errorf("reason %q lacks %q", out.Reason, tt.reason)
			}
			if tt.writeMode != "" {
				if len(h.roles.updates) != 1 || h.roles.updates[0].policy != fixed(t, string(tt.role.TrustPolicy), tt.writeMode) {
					t.Fatalf("writes %+v, want the %s fix", h.roles.updates, tt.writeMode)
				}
				if len(h.pub.events) != 1 || h.pub.events[0].ModeSource != first(tt.modeSource, ModeSourceStack) {
					t.Fatalf("events %+v", h.pub.events)
				}
			}
			if tt.storeErr != nil && h.metricCounts(t)["Errors/read-promotion"] != 1 {
				t.Errorf("read error not counted: %v", h.metricCounts(t))
			}
		})
	}
}
