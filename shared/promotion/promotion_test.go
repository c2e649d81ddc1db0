package promotion

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
)

var (
	end    = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	window = readiness.NewWindow(end, 14)
	role   = "arn:aws:iam::111122223333:role/ci/deployer"
)

func observe(kind readiness.Kind, principal, si string, console bool, at time.Time) readiness.Observation {
	r, _ := readiness.RoleFromARN(role)
	return readiness.Observation{Kind: kind, Role: r, Caller: readiness.Caller{Principal: principal, Type: "IAMUser"},
		Time: at, SourceIdentity: si, Console: console, UserAgent: "aws-cli/2.15.0", Client: "aws-cli", EventID: principal + at.String()}
}

func evidenceOf(obs ...readiness.Observation) readiness.RoleEvidence {
	agg := readiness.NewAggregator(window)
	for _, o := range obs {
		agg.Add(o)
	}
	rs := agg.Results()
	if len(rs) == 0 {
		return Unassumed(role, window)
	}
	return rs[0]
}

func TestDecide(t *testing.T) {
	in := end.Add(-time.Hour)
	alice := "arn:aws:iam::111122223333:user/alice"
	bot := "arn:aws:iam::111122223333:user/bot"
	tests := []struct {
		name     string
		ev       readiness.RoleEvidence
		by       string
		force    bool
		want     error // nil: promoted
		forced   bool
		blockers []string
	}{
		{name: "nobody assumed it", ev: evidenceOf(), by: ByAuto},
		{name: "every assumption carried a source identity", ev: evidenceOf(observe(readiness.KindAssumption, alice, "alice", false, in)), by: ByAuto},
		{name: "only outside the window", ev: evidenceOf(observe(readiness.KindAssumption, bot, "", false, end.Add(-20*24*time.Hour))), by: ByAuto},
		{name: "one assumption without", by: ByAuto, want: ErrNotReady, blockers: []string{bot},
			ev: evidenceOf(observe(readiness.KindAssumption, alice, "alice", false, in), observe(readiness.KindAssumption, bot, "", false, in))},
		{name: "one assumption without, forced by a person", by: alice, force: true, want: ErrNotReady, blockers: []string{bot},
			ev: evidenceOf(observe(readiness.KindAssumption, bot, "", false, in))},
		{name: "console switch-role, automatic", by: ByAuto, want: ErrConsoleUsed, blockers: []string{alice},
			ev: evidenceOf(observe(readiness.KindConsole, alice, "", true, in))},
		{name: "console switch-role, automatic cannot force", by: ByAuto, force: true, want: ErrConsoleUsed, blockers: []string{alice},
			ev: evidenceOf(observe(readiness.KindConsole, alice, "", true, in))},
		{name: "console switch-role, person without force", by: bot, want: ErrConsoleUsed, blockers: []string{alice},
			ev: evidenceOf(observe(readiness.KindConsole, alice, "", true, in), observe(readiness.KindAssumption, alice, "", true, in))},
		{name: "console switch-role, person forces", by: bot, force: true, forced: true,
			ev: evidenceOf(observe(readiness.KindConsole, alice, "", true, in), observe(readiness.KindAssumption, alice, "", true, in))},
		{name: "console plus a terminal caller without: refused even forced", by: alice, force: true, want: ErrNotReady, blockers: []string{bot},
			ev: evidenceOf(observe(readiness.KindConsole, alice, "", true, in), observe(readiness.KindAssumption, bot, "", false, in))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := Decide(Request{RoleARN: role, Evidence: tt.ev, By: tt.by, Force: tt.force, Now: end})
			if tt.want != nil {
				var ref *Refusal
				if !errors.Is(err, tt.want) || !errors.As(err, &ref) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				var got []string
				for _, b := range ref.Blockers {
					got = append(got, b.Principal)
					if b.Action == "" {
						t.Errorf("blocker %s has no action", b.Principal)
					}
				}
				if diff := cmp.Diff(tt.blockers, got); diff != "" {
					t.Errorf("blockers (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Record{RoleARN: role, State: StateRequire, At: end, By: tt.by, Forced: tt.forced, Evidence: EvidenceOf(tt.ev)}
			if diff := cmp.Diff(want, rec); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
			if rec.Evidence.WindowDays != 14 {
				t.Errorf("window days %d", rec.Evidence.WindowDays)
			}
		})
	}
}

func TestParseSettingAndWindow(t *testing.T) {
	for in, want := range map[string]Setting{"": Propose, "off": Off, " Auto ": Auto, "propose": Propose} {
		if got, err := ParseSetting(in); err != nil || got != want {
			t.Errorf("ParseSetting(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseSetting("yes"); err == nil {
		t.Error("ParseSetting(yes) accepted")
	}
	for _, d := range []int{0, -1, 91} {
		if ValidateWindow(d) == nil {
			t.Errorf("window %d accepted", d)
		}
	}
	if ValidateWindow(14) != nil || ValidateWindow(90) != nil {
		t.Error("window 14 or 90 refused")
	}
}

func TestCovered(t *testing.T) {
	if Covered(time.Time{}, window) {
		t.Error("unknown start covers the window")
	}
	if Covered(window.Start.Add(time.Second), window) {
		t.Error("evidence that began after the window's start covers it")
	}
	if !Covered(window.Start, window) || !Covered(window.Start.Add(-time.Hour), window) {
		t.Error("evidence from the window's start does not cover it")
	}
}

func genEvidence(t *rapid.T) readiness.RoleEvidence {
	principals := []string{"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bot", "arn:aws:iam::444455556666:root"}
	n := rapid.IntRange(0, 8).Draw(t, "n")
	var obs []readiness.Observation
	for i := range n {
		kind := rapid.SampledFrom([]readiness.Kind{readiness.KindAssumption, readiness.KindConsole}).Draw(t, "kind")
		si := rapid.SampledFrom([]string{"", "alice"}).Draw(t, "si")
		console := kind == readiness.KindConsole || rapid.Bool().Draw(t, "console")
		at := end.Add(-time.Duration(rapid.IntRange(0, 20*24).Draw(t, "hoursAgo")) * time.Hour)
		o := observe(kind, rapid.SampledFrom(principals).Draw(t, "principal"), si, console, at)
		o.EventID = string(rune('a' + i))
		obs = append(obs, o)
	}
	return evidenceOf(obs...)
}

// Over drawn evidence: an automatic promotion never happens for a console-used role or with
// any assumption without a source identity in the window; a person's forced promotion never
// happens with a non-console caller without one; deciding twice gives the same answer.
func TestDecideProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ev := genEvidence(t)
		force := rapid.Bool().Draw(t, "force")
		by := rapid.SampledFrom([]string{ByAuto, "arn:aws:iam::111122223333:user/admin"}).Draw(t, "by")
		req := Request{RoleARN: role, Evidence: ev, By: by, Force: force, Now: end}
		rec, err := Decide(req)
		rec2, err2 := Decide(req)
		if (err == nil) != (err2 == nil) || !cmp.Equal(rec, rec2) {
			t.Fatalf("not idempotent: %v %v / %v %v", rec, err, rec2, err2)
		}
		if err != nil {
			return
		}
		if by == ByAuto {
			if ev.ConsoleUsed || ev.ConsoleSessions > 0 || rec.Forced {
				t.Fatalf("automatic promotion of a console-used role: %+v", ev)
			}
			if ev.WithoutSourceIdentity > 0 {
				t.Fatalf("automatic promotion with %d assumptions without a source identity", ev.WithoutSourceIdentity)
			}
		}
		for _, c := range ev.Callers {
			if c.WithoutSourceIdentity > 0 && !c.Console && c.ConsoleSessions == 0 {
				t.Fatalf("promoted with terminal caller %s without a source identity", c.Principal)
			}
		}
		if rec.Forced != (ev.ConsoleUsed || ev.ConsoleSessions > 0) {
			t.Fatalf("forced=%v for console use %v/%d", rec.Forced, ev.ConsoleUsed, ev.ConsoleSessions)
		}
		if !rec.Forced && !readiness.Ready(ev) {
			t.Fatalf("unforced promotion of a role that is not ready: %+v", ev)
		}
	})
}
