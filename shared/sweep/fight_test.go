package sweep

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
)

// memLog is an in-memory guard.WriteLog (safe for the sweep's goroutines).
type memLog struct {
	mu                sync.Mutex
	writes            []guard.Write
	readErr, writeErr error
}

func (m *memLog) Writes(_ context.Context, arn string, since time.Time) ([]time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
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

func (m *memLog) RecordWrite(_ context.Context, w guard.Write) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.writeErr != nil {
		return m.writeErr
	}
	m.writes = append(m.writes, w)
	return nil
}

// A role the event path already patched Threshold times today is a conflict for the sweep too:
// not written, counted, and open in the compliance ratio; the sweep records its own writes,
// and a role under the threshold is patched as before.
func TestRunIaCFight(t *testing.T) {
	open := readPolicy(t, "account-root.json")
	fighting := role("fighting", "/", open, map[string]string{guard.TagCloudFormationStack: "orders-api"})
	fresh := role("fresh", "/", open, nil)
	f := newFake(10, fighting, fresh, role("compliant", "/", compliantPolicy(t), nil))
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	log := &memLog{}
	for i := range 3 {
		log.writes = append(log.writes, guard.Write{RoleARN: fighting.ARN, At: now.Add(-time.Duration(i+1) * time.Hour), By: "enforce"})
	}
	s := &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeRequire},
		Fights: &guard.Fights{Log: log, Rule: guard.FightRule{Threshold: 3}, Now: func() time.Time { return now }}}
	sum, got, err := run(t, s, Position{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]guard.Decision{"fighting": guard.Conflict, "fresh": guard.Patched, "compliant": guard.Compliant}, decisions(got)); diff != "" {
		t.Fatalf("decisions (-want +got):\n%s", diff)
	}
	if _, ok := f.updated["fighting"]; ok {
		t.Errorf("the sweep wrote a role in conflict")
	}
	for _, r := range got {
		if r.Role.Name != "fighting" {
			continue
		}
		if !strings.Contains(r.Verdict.Reason, `CloudFormation stack "orders-api"`) || r.Verdict.After == nil || !r.Verdict.Decision.Publishes() {
			t.Errorf("conflict verdict = %+v; want it naming the stack, with the fix, published", r.Verdict)
		}
	}
	if sum.Counts[guard.Conflict] != 1 || sum.Judged != 3 || sum.ComplianceRatio > 0.67 {
		t.Errorf("summary counts %v, judged %d, ratio %.2f; want the conflict counted and open", sum.Counts, sum.Judged, sum.ComplianceRatio)
	}
	if len(log.writes) != 4 || log.writes[3].RoleARN != fresh.ARN || log.writes[3].By != "sweep" {
		t.Errorf("write log = %+v; want the sweep's write of fresh recorded", log.writes)
	}

	t.Run("log down: patched anyway, a warning", func(t *testing.T) {
		delete(f.updated, "fresh")
		log.readErr = errors.New("dynamodb down")
		sum, got, err := run(t, s, Position{})
		if err != nil {
			t.Fatal(err)
		}
		if d := decisions(got); d["fresh"] != guard.Patched || d["fighting"] != guard.Patched {
			t.Errorf("decisions = %v; want both patched (the limit needs the log)", d)
		}
		if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "IaC fight log: 2") {
			t.Errorf("warnings = %q; want one naming 2 failures", sum.Warnings)
		}
	})
	t.Run("dry run reads no log", func(t *testing.T) {
		log.readErr = errors.New("must not be read")
		delete(f.updated, "fresh")
		delete(f.updated, "fighting")
		dry := *s
		dry.DryRun = true
		sum, _, err := run(t, &dry, Position{})
		if err != nil || sum.Counts[guard.WouldPatch] != 2 || len(sum.Warnings) != 0 {
			t.Errorf("dry run: counts %v, warnings %q, err %v", sum.Counts, sum.Warnings, err)
		}
	})
}
