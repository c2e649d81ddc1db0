package sweep

import (
	"context"
	"errors"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
)

type fakePromotions struct {
	set   guard.Promotions
	err   error
	calls int
}

func (f *fakePromotions) AllPromotions(context.Context) (guard.Promotions, error) {
	f.calls++
	return f.set, f.err
}

// A run reads every promotion once and judges promoted roles under require; when
// the promotions cannot be read it warns and judges every role under its own mode.
func TestJobHonoursPromotions(t *testing.T) {
	roles := openRoles(t, 3)
	for _, readErr := range []error{nil, errors.New("throttled")} {
		f := newFake(10, roles...)
		proms := &fakePromotions{set: guard.Promotions{guard.PromotionKey(roles[1].ARN): true}, err: readErr}
		bus := &recordingBus{}
		j := &Job{Sweeper: &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeAllow}}, Positions: &memStore{}, Publisher: bus, Promotions: proms}
		sum, err := j.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if proms.calls != 1 {
			t.Errorf("promotions read %d times, want once a run", proms.calls)
		}
		modes := map[string]string{}
		for _, c := range bus.calls {
			for _, e := range c {
				if de, ok := e.Detail.(guard.DecisionEvent); ok {
					modes[de.RoleName] = string(de.Mode) + "/" + de.ModeSource
				}
			}
		}
		want := map[string]string{roles[0].Name: "allow/stack", roles[1].Name: "require/promotion", roles[2].Name: "allow/stack"}
		if readErr != nil {
			want[roles[1].Name] = "allow/stack"
			if len(sum.Warnings) == 0 {
				t.Error("no warning for unreadable promotions")
			}
		}
		for k, v := range want {
			if modes[k] != v {
				t.Errorf("read error %v: %s judged %s, want %s", readErr, k, modes[k], v)
			}
		}
	}
}
