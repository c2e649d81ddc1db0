package readiness

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

var end = ts("2026-12-01T00:00:00Z")

func obs(role, caller string, at time.Time, si string) Observation {
	r, _ := RoleFromARN(role)
	return Observation{Kind: KindAssumption, Role: r, Caller: Caller{Principal: caller, Type: "IAMUser"}, Time: at, SourceIdentity: si, UserAgent: "aws-cli/2", Client: "aws-cli"}
}

func TestResults(t *testing.T) {
	w := NewWindow(end, 14)
	a := NewAggregator(w)
	deployer := "arn:aws:iam::111122223333:role/ci/deployer"
	a.Add(obs(deployer, "arn:aws:iam::111122223333:user/alice", end.Add(-time.Hour), "alice"))
	a.Add(obs(deployer, "arn:aws:iam::111122223333:user/alice", end.Add(-48*time.Hour), "alice"))
	a.Add(obs(deployer, "arn:aws:iam::444455556666:root", end.Add(-2*time.Hour), ""))
	// The same role seen through an assumed-role ARN (no path) merges and keeps the path.
	a.Add(obs("arn:aws:sts::111122223333:assumed-role/deployer/s", "arn:aws:iam::111122223333:user/bob", end.Add(-3*time.Hour), "bob"))
	a.Add(obs("arn:aws:iam::111122223333:role/old", "arn:aws:iam::111122223333:user/carol", end.Add(-20*24*time.Hour), ""))
	a.Skipped(SkipService)

	got := a.Results()
	want := []RoleEvidence{{
		Role:                         Role{ARN: deployer, Partition: "aws", Account: "111122223333", Name: "deployer", PathKnown: true},
		Assumptions:                  4,
		WithoutSourceIdentity:        1,
		CallersWithoutSourceIdentity: []string{"arn:aws:iam::444455556666:root"},
		Window:                       w,
		Callers: []CallerEvidence{
			{Principal: "arn:aws:iam::111122223333:user/alice", Type: "IAMUser", Assumptions: 2, FirstSeen: end.Add(-48 * time.Hour), LastSeen: end.Add(-time.Hour), UserAgent: "aws-cli/2", Client: "aws-cli"},
			{Principal: "arn:aws:iam::111122223333:user/bob", Type: "IAMUser", Assumptions: 1, FirstSeen: end.Add(-3 * time.Hour), LastSeen: end.Add(-3 * time.Hour), UserAgent: "aws-cli/2", Client: "aws-cli"},
			{Principal: "arn:aws:iam::444455556666:root", Type: "IAMUser", Assumptions: 1, WithoutSourceIdentity: 1, FirstSeen: end.Add(-2 * time.Hour), LastSeen: end.Add(-2 * time.Hour), UserAgent: "aws-cli/2", Client: "aws-cli"},
		},
	}, {
		Role:                         Role{ARN: "arn:aws:iam::111122223333:role/old", Partition: "aws", Account: "111122223333", Name: "old", PathKnown: true},
		CallersWithoutSourceIdentity: []string{},
		Ready:                        true,
		Window:                       w,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
	st := a.Stats()
	if diff := cmp.Diff(Stats{Records: 6, Observations: 4, Assumptions: 4, Skipped: map[Skip]int{SkipService: 1, SkipOutsideWindow: 1}}, st); diff != "" {
		t.Fatalf("stats (-want +got):\n%s", diff)
	}
	if r := Reason(got[0]); r != "1 of 4 assumptions without a source identity (1 caller)" {
		t.Errorf("reason %q", r)
	}
	if r := Reason(got[1]); r != "nobody assumed it in the window" {
		t.Errorf("reason %q", r)
	}
}

// genObservation draws an observation of one of a few roles and callers, inside or outside the
// window, with or without a source identity, sometimes console use.
func genObservation(t *rapid.T, label string) Observation {
	role := rapid.SampledFrom([]string{"arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/p/b", "arn:aws:sts::111122223333:assumed-role/b/s", "arn:aws:iam::444455556666:role/c"}).Draw(t, label+"role")
	caller := rapid.SampledFrom([]string{"arn:aws:iam::111122223333:user/u", "arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:role/r"}).Draw(t, label+"caller")
	offset := time.Duration(rapid.IntRange(-3*24, 20*24).Draw(t, label+"hoursBack")) * time.Hour
	si := rapid.SampledFrom([]string{"", "alice"}).Draw(t, label+"si")
	o := obs(role, caller, end.Add(-offset), si)
	switch rapid.IntRange(0, 9).Draw(t, label+"console") {
	case 0:
		o.Kind, o.Console, o.SourceIdentity = KindConsole, true, ""
	case 1:
		o.Console = true
	}
	o.UserAgent = rapid.SampledFrom([]string{"aws-cli/2", "Boto3/1", "AWS Internal"}).Draw(t, label+"ua")
	return o
}

func inWindow(w Window, o Observation) bool { return w.Contains(o.Time) }

// TestVerdictProperties checks the verdict rules on random evidence: a role is ready exactly
// when none of its in-window observations lacks a source identity or is console use; records
// outside the window change nothing but the role's presence; the order of records and how they
// are split between aggregators do not matter.
func TestVerdictProperties(t *testing.T) {
	covered := map[string]int{}
	rapid.Check(t, func(t *rapid.T) {
		w := NewWindow(end, rapid.IntRange(1, 30).Draw(t, "days"))
		all := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Observation { return genObservation(t, "") }), 0, 40).Draw(t, "observations")

		a := NewAggregator(w)
		for _, o := range all {
			a.Add(o)
		}
		results := a.Results()

		// Oracle: the verdict from the observations directly.
		type want struct {
			present, blocked bool
			assumptions      int
			without          int
			console          int
			blockers         map[string]bool
		}
		wants := map[RoleKey]*want{}
		for _, o := range all {
			k := o.Role.Key()
			if wants[k] == nil {
				wants[k] = &want{blockers: map[string]bool{}}
			}
			x := wants[k]
			x.present = true
			if !inWindow(w, o) {
				continue
			}
			if o.Kind == KindConsole {
				x.console++
				x.blocked = true
			} else {
				x.assumptions++
				if !o.HasSourceIdentity() {
					x.without++
					x.blocked = true
					x.blockers[o.Caller.Principal] = true
				}
			}
			if o.Console {
				x.blocked = true
			}
		}
		if len(results) != len(wants) {
			t.Fatalf("%d roles, want %d", len(results), len(wants))
		}
		for _, ev := range results {
			x := wants[ev.Role.Key()]
			if x == nil {
				t.Fatalf("unexpected role %s", ev.Role.ARN)
			}
			if ev.Ready == x.blocked {
				t.Fatalf("%s: ready %v, want %v (%+v)", ev.Role.ARN, ev.Ready, !x.blocked, ev)
			}
			if ev.Assumptions != x.assumptions || ev.WithoutSourceIdentity != x.without || ev.ConsoleSessions != x.console {
				t.Fatalf("%s: counts %d/%d/%d, want %d/%d/%d", ev.Role.ARN, ev.Assumptions, ev.WithoutSourceIdentity, ev.ConsoleSessions, x.assumptions, x.without, x.console)
			}
			if len(ev.CallersWithoutSourceIdentity) != len(x.blockers) {
				t.Fatalf("%s: blockers %v, want %v", ev.Role.ARN, ev.CallersWithoutSourceIdentity, x.blockers)
			}
			for _, c := range ev.Callers {
				if c.Blocks() != (Action(c) != "") {
					t.Fatalf("caller %s blocks=%v but action %q", c.Principal, c.Blocks(), Action(c))
				}
			}
			switch {
			case ev.Ready && ev.Assumptions == 0:
				covered["ready-unused"]++
			case ev.Ready:
				covered["ready-used"]++
			case ev.ConsoleUsed:
				covered["console"]++
			default:
				covered["without-si"]++
			}
		}

		// Split the same observations between two aggregators, in reverse order: same results.
		cut := rapid.IntRange(0, len(all)).Draw(t, "cut")
		b1, b2 := NewAggregator(w), NewAggregator(w)
		for i := len(all) - 1; i >= 0; i-- {
			if i < cut {
				b1.Add(all[i])
			} else {
				b2.Add(all[i])
			}
		}
		b1.Merge(b2)
		if diff := cmp.Diff(results, b1.Results()); diff != "" {
			t.Fatalf("merged results differ (-one +merged):\n%s", diff)
		}
		if diff := cmp.Diff(a.Stats(), b1.Stats()); diff != "" {
			t.Fatalf("merged stats differ:\n%s", diff)
		}
	})
	for _, k := range []string{"ready-unused", "ready-used", "console", "without-si"} {
		if covered[k] == 0 {
			t.Errorf("no generated case was %s: the property is not exercised", k)
		}
	}
}

// TestAddingEvidence: one clean assumption never makes a ready role unready; one without a
// source identity (in the window) always does.
func TestAddingEvidence(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := NewWindow(end, DefaultDays)
		all := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Observation { return genObservation(t, "") }), 1, 20).Draw(t, "observations")
		a := NewAggregator(w)
		for _, o := range all {
			a.Add(o)
		}
		target := all[rapid.IntRange(0, len(all)-1).Draw(t, "target")].Role
		before := find(a.Results(), target)
		at := end.Add(-time.Duration(rapid.IntRange(0, DefaultDays*24).Draw(t, "hoursBack")) * time.Hour)

		clean := obs(target.ARN, "arn:aws:iam::111122223333:user/new", at, "new")
		a2 := NewAggregator(w)
		a2.Merge(a)
		a2.Add(clean)
		if after := find(a2.Results(), target); after.Ready != before.Ready {
			t.Fatalf("a clean assumption changed ready from %v to %v", before.Ready, after.Ready)
		}
		dirty := obs(target.ARN, "arn:aws:iam::111122223333:user/new", at, "")
		a.Add(dirty)
		if after := find(a.Results(), target); after.Ready {
			t.Fatalf("an assumption without a source identity at %s left the role ready", at)
		}
	})
}

func find(rs []RoleEvidence, r Role) RoleEvidence {
	for _, ev := range rs {
		if ev.Role.Key() == r.Key() {
			return ev
		}
	}
	panic(fmt.Sprintf("role %s not found", r.ARN))
}
