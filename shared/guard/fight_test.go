package guard

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

func TestFightRuleAllows(t *testing.T) {
	rule := FightRule{Threshold: 3, Window: 24 * time.Hour}
	for _, tc := range []struct {
		name   string
		rule   FightRule
		writes []time.Time
		now    time.Time
		recent int
		allows bool
	}{
		{"no writes", rule, nil, at(0), 0, true},
		{"two writes", rule, []time.Time{at(0), at(1)}, at(2), 2, true},
		{"three writes in the window", rule, []time.Time{at(0), at(1), at(2)}, at(3), 3, false},
		{"the oldest left the window", rule, []time.Time{at(0), at(1), at(2)}, at(24), 2, true},
		{"exactly one window ago is outside", rule, []time.Time{at(0), at(23), at(23.5)}, at(24), 2, true},
		{"just inside", rule, []time.Time{at(0.001), at(23), at(23.5)}, at(24), 3, false},
		{"writes after now do not count", rule, []time.Time{at(5), at(6), at(7)}, at(4), 0, true},
		{"threshold 0 limits nothing", FightRule{}, []time.Time{at(0), at(0), at(0), at(0)}, at(0), 4, true},
		{"zero window means 24 h", FightRule{Threshold: 1}, []time.Time{at(-23)}, at(0), 1, false},
		{"threshold 1", FightRule{Threshold: 1}, []time.Time{at(-25)}, at(0), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rule.Recent(tc.writes, tc.now); got != tc.recent {
				t.Errorf("Recent = %d; want %d", got, tc.recent)
			}
			if got := tc.rule.Allows(tc.writes, tc.now); got != tc.allows {
				t.Errorf("Allows = %v; want %v", got, tc.allows)
			}
		})
	}
}

func TestFightVerdict(t *testing.T) {
	rule := FightRule{Threshold: 2}
	full := []time.Time{at(0), at(1)}
	patched := Verdict{Decision: Patched, Reason: "trust policy patched to require a source identity", Mode: ModeRequire,
		Before: []byte(awsPolicy), After: []byte(`{"fixed":true}`), Findings: []trustpolicy.Finding{{Code: "missing-set-source-identity"}}}
	tampered := Verdict{Decision: Tampered, After: []byte(`{"own":true}`)}
	for _, tc := range []struct {
		name   string
		v      Verdict
		writes []time.Time
		want   Decision
	}{
		{"patched within the rule", patched, full[:1], Patched},
		{"patched over the rule", patched, full, Conflict},
		{"the guard's own role is always restored", tampered, full, Tampered},
		{"would-patch is not a write", Verdict{Decision: WouldPatch, After: []byte(`{}`)}, full, WouldPatch},
		{"patched without a document is left alone", Verdict{Decision: Patched}, full, Patched},
		{"unfixable", Verdict{Decision: Unfixable}, full, Unfixable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FightVerdict(tc.v, tc.writes, at(2), rule, `CloudFormation stack "app"`)
			if got.Decision != tc.want {
				t.Fatalf("decision = %s; want %s", got.Decision, tc.want)
			}
			if tc.want != Conflict {
				if diff := cmp.Diff(tc.v, got); diff != "" {
					t.Errorf("verdict changed (-want +got):\n%s", diff)
				}
				return
			}
			if got.NeedsWrite() {
				t.Errorf("a conflict asks for a write")
			}
			if string(got.After) != string(tc.v.After) || string(got.Before) != string(tc.v.Before) || len(got.Findings) != 1 {
				t.Errorf("conflict lost the fix, the policy read or the findings: %+v", got)
			}
			for _, s := range []string{`CloudFormation stack "app"`, "2 times", "24 h", "docs/iac.md", "sidguard lint", "open",
				"the next patch after 2026-12-02T09:00:00Z"} { // when the oldest of the 2 writes leaves the window
				if !strings.Contains(got.Reason, s) {
					t.Errorf("reason %q does not mention %q", got.Reason, s)
				}
			}
		})
	}
}

func TestFightActor(t *testing.T) {
	const who = "arn:aws:sts::111122223333:assumed-role/deployer/ci"
	for _, tc := range []struct {
		name string
		tags map[string]string
		clue FightClue
		want string
	}{
		{"stack tag", map[string]string{TagCloudFormationStack: "orders-api"}, FightClue{UserAgent: "cloudformation.amazonaws.com", ActorARN: who},
			`CloudFormation stack "orders-api" (tag aws:cloudformation:stack-name) as ` + who},
		{"stack tag from a sweep", map[string]string{TagCloudFormationStack: "orders-api"}, FightClue{},
			`CloudFormation stack "orders-api" (tag aws:cloudformation:stack-name)`},
		{"cloudformation user agent", nil, FightClue{UserAgent: "cloudformation.amazonaws.com", ActorARN: who},
			"CloudFormation (stack not tagged on the role; find it with aws cloudformation describe-stack-resources --physical-resource-id ROLE_NAME) as " + who},
		{"cloudformation invokedBy", nil, FightClue{InvokedBy: "cloudformation.amazonaws.com"},
			"CloudFormation (stack not tagged on the role; find it with aws cloudformation describe-stack-resources --physical-resource-id ROLE_NAME)"},
		{"terraform", nil, FightClue{UserAgent: "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0", ActorARN: who},
			"Terraform (user agent Terraform/1.9.5) as " + who},
		{"terraform at the end", nil, FightClue{UserAgent: "HashiCorp/1.0 Terraform/1.5.7"}, "Terraform (user agent Terraform/1.5.7)"},
		{"other client", nil, FightClue{UserAgent: "aws-cli/2.15.0", ActorARN: who}, `user agent "aws-cli/2.15.0" as ` + who},
		{"long user agent is clipped", nil, FightClue{UserAgent: strings.Repeat("x", 300)}, `user agent "` + strings.Repeat("x", 160) + `..."`},
		{"actor only", nil, FightClue{ActorARN: who}, who},
		{"nothing known", map[string]string{"team": "x"}, FightClue{}, "unknown (no CloudTrail event: find the role's last UpdateAssumeRolePolicy in CloudTrail)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FightActor(tc.tags, tc.clue); got != tc.want {
				t.Errorf("FightActor = %q\nwant          %q", got, tc.want)
			}
		})
	}
}

func TestLoadFightSettings(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, tc := range []struct {
		name    string
		lookup  func(string) (string, bool)
		want    FightSettings
		on      bool
		wantErr string
	}{
		{"defaults", env(), FightSettings{Rule: FightRule{Threshold: 3, Window: 24 * time.Hour}}, false, ""},
		{"table", env(EnvFightTable, "stack-TrustPolicyWritesTable-1"), FightSettings{Rule: FightRule{Threshold: 3, Window: 24 * time.Hour}, Table: "stack-TrustPolicyWritesTable-1"}, true, ""},
		{"threshold", env(EnvFightTable, "t12", EnvFightThreshold, " 5 "), FightSettings{Rule: FightRule{Threshold: 5, Window: 24 * time.Hour}, Table: "t12"}, true, ""},
		{"off", env(EnvFightTable, "t12", EnvFightThreshold, "0"), FightSettings{Rule: FightRule{Window: 24 * time.Hour}, Table: "t12"}, false, ""},
		{"negative", env(EnvFightThreshold, "-1"), FightSettings{}, false, EnvFightThreshold},
		{"too large", env(EnvFightThreshold, "101"), FightSettings{}, false, EnvFightThreshold},
		{"not a number", env(EnvFightThreshold, "three"), FightSettings{}, false, EnvFightThreshold},
		{"bad table", env(EnvFightTable, "a b"), FightSettings{}, false, EnvFightTable},
		{"short table", env(EnvFightTable, "ab"), FightSettings{}, false, EnvFightTable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadFightSettings(tc.lookup)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v; want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
			if got.On() != tc.on {
				t.Errorf("On = %v; want %v", got.On(), tc.on)
			}
		})
	}
}

// Over drawn sequences of attempts to patch a few roles (at drawn times, some in bursts):
//   - no window (t-24h, t] ever holds more than Threshold writes of one role;
//   - a conflict never asks for a write, and keeps the fix;
//   - the guard never gives up early: an attempt is a conflict only when Threshold writes of
//     that role are already in the window.
func TestFightRuleProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rule := FightRule{Threshold: rapid.IntRange(1, 5).Draw(t, "threshold"), Window: FightWindow}
		n := rapid.IntRange(1, 60).Draw(t, "attempts")
		now := t0
		writes := map[string][]time.Time{}
		v := Verdict{Decision: Patched, After: []byte(`{"fixed":true}`)}
		for i := 0; i < n; i++ {
			now = now.Add(time.Duration(rapid.Int64Range(0, int64(30*time.Hour)).Draw(t, "gap")) / time.Duration(rapid.SampledFrom([]int64{1, 10, 1000}).Draw(t, "burst")))
			r := rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "role")
			got := FightVerdict(v, writes[r], now, rule, "x")
			switch got.Decision {
			case Patched:
				if !got.NeedsWrite() {
					t.Fatalf("patched without a write")
				}
				writes[r] = append(writes[r], now)
			case Conflict:
				if got.NeedsWrite() || string(got.After) != `{"fixed":true}` {
					t.Fatalf("conflict asks for a write or lost the fix: %+v", got)
				}
				if k := rule.Recent(writes[r], now); k < rule.Threshold {
					t.Fatalf("conflict with %d < %d writes in the window", k, rule.Threshold)
				}
				// The time the reason names is exactly when the rule allows a write again.
				if at := rule.resumes(writes[r], now); !rule.Allows(writes[r], at) || rule.Allows(writes[r], at.Add(-time.Nanosecond)) || !strings.Contains(got.Reason, at.UTC().Format(time.RFC3339)) {
					t.Fatalf("resumes = %s: allows there %v, a nanosecond before %v; reason %q", at, rule.Allows(writes[r], at), rule.Allows(writes[r], at.Add(-time.Nanosecond)), got.Reason)
				}
			default:
				t.Fatalf("decision %s", got.Decision)
			}
		}
		for r, ws := range writes {
			sort.Slice(ws, func(i, j int) bool { return ws[i].Before(ws[j]) })
			for _, end := range ws { // the fullest windows end at a write
				if k := rule.Recent(ws, end); k > rule.Threshold {
					t.Fatalf("role %s: %d writes in the 24 h before %s (threshold %d)", r, k, end, rule.Threshold)
				}
			}
		}
	})
}

// memLog is an in-memory WriteLog with scripted errors.
type memLog struct {
	writes            []Write
	readErr, writeErr error
}

func (m *memLog) Writes(_ context.Context, arn string, since time.Time) ([]time.Time, error) {
	if m.readErr != nil {
		return nil, m.readErr
	}
	var out []time.Time
	for _, w := range m.writes {
		if w.RoleARN == arn && !w.At.Before(since) {
			out = append(out, w.At)
		}
	}
	return out, nil
}

func (m *memLog) RecordWrite(_ context.Context, w Write) error {
	if m.writeErr != nil {
		return m.writeErr
	}
	m.writes = append(m.writes, w)
	return nil
}

// The event path: a role re-opened by CloudFormation is patched Threshold times, then the
// next event is a published conflict naming the stack, with the fix in policyAfter, no write,
// counted in the Decisions metric; a failing log never stops a patch.
func TestHandleIaCFight(t *testing.T) {
	const stack = "orders-api"
	open := role("app", "/", awsPolicy, map[string]string{TagCloudFormationStack: stack})
	h := newHarness(t, Policy{Mode: ModeRequire}, nil, open)
	log := &memLog{}
	clock := t0
	h.guard.cfg.Fights = &Fights{Log: log, Rule: FightRule{Threshold: 2}, Now: func() time.Time { return clock }}
	ev := ctEvent(t, "UpdateAssumeRolePolicy", "app", "", map[string]any{"userAgent": "cloudformation.amazonaws.com"})
	reopen := func() {
		r := h.roles.roles["app"]
		r.TrustPolicy = []byte(awsPolicy)
		h.roles.roles["app"] = r
	}
	var got []Decision
	for i := 0; i < 4; i++ {
		reopen()
		clock = clock.Add(time.Minute)
		out, err := h.guard.Handle(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.Decision)
	}
	if diff := cmp.Diff([]Decision{Patched, Patched, Conflict, Conflict}, got); diff != "" {
		t.Fatalf("decisions (-want +got):\n%s", diff)
	}
	if len(h.roles.updates) != 2 || len(log.writes) != 2 {
		t.Fatalf("writes = %d, recorded %d; want 2 and 2", len(h.roles.updates), len(log.writes))
	}
	if w := log.writes[0]; w.RoleARN != open.ARN || w.By != "enforce" || w.EventID != "evt-app" {
		t.Errorf("recorded write = %+v", w)
	}
	if string(h.roles.roles["app"].TrustPolicy) != awsPolicy {
		t.Errorf("role written after the conflict: %s", h.roles.roles["app"].TrustPolicy)
	}
	last := h.pub.events[len(h.pub.events)-1]
	if last.Decision != Conflict || !strings.Contains(last.Reason, `CloudFormation stack "orders-api"`) {
		t.Errorf("last event = %s %q; want a conflict naming the stack", last.Decision, last.Reason)
	}
	if !SamePolicy(last.PolicyAfter, []byte(fixed(t, awsPolicy, trustpolicy.ModeRequire))) {
		t.Errorf("policyAfter = %s; want the engine's fix", last.PolicyAfter)
	}
	if c := h.metricCounts(t); c[MetricDecisions+"/conflict"] != 2 {
		t.Errorf("metrics = %v; want Decisions/conflict 2", c)
	}

	t.Run("log unreadable: patched anyway, counted", func(t *testing.T) {
		log.readErr = errors.New("dynamodb down")
		reopen()
		out, err := h.guard.Handle(context.Background(), ev)
		if err != nil || out.Decision != Patched {
			t.Fatalf("decision = %s, err %v; want patched", out.Decision, err)
		}
		if c := h.metricCounts(t); c[MetricErrors+"/"+string(OpFightLog)] != 1 {
			t.Errorf("metrics = %v; want Errors/fight-log 1", c)
		}
	})
	t.Run("guard's own role is restored however often", func(t *testing.T) {
		log.readErr = nil
		own := iamrole.Role{Name: "guard-role", ARN: "arn:aws:iam::111122223333:role/guard-role", TrustPolicy: []byte(awsPolicy), Tags: map[string]string{}}
		h2 := newHarness(t, Policy{Mode: ModeRequire, OwnRoles: []OwnRole{{Name: "guard-role", TrustPolicy: OwnTrustPolicy("111122223333")}}}, nil, own)
		h2.guard.cfg.Fights = &Fights{Log: log, Rule: FightRule{Threshold: 1}, Now: func() time.Time { return clock }}
		for i := 0; i < 3; i++ {
			r := h2.roles.roles["guard-role"]
			r.TrustPolicy = []byte(awsPolicy)
			h2.roles.roles["guard-role"] = r
			out, _ := h2.guard.Handle(context.Background(), ctEvent(t, "UpdateAssumeRolePolicy", "guard-role", "", nil))
			if out.Decision != Tampered {
				t.Fatalf("attempt %d: decision = %s; want tampered", i, out.Decision)
			}
		}
		if len(h2.roles.updates) != 3 {
			t.Errorf("restores = %d; want 3", len(h2.roles.updates))
		}
	})
}
