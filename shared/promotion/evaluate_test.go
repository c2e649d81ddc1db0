package promotion

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
)

const openPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`

type fakeRoles struct {
	roles []iamrole.Role
	tags  map[string]map[string]string
	reads int
}

func (f *fakeRoles) ListPage(_ context.Context, marker string) ([]iamrole.Role, string, error) {
	if marker == "" && len(f.roles) > 2 {
		return f.roles[:2], "next", nil
	}
	if marker == "next" {
		return f.roles[2:], "", nil
	}
	return f.roles, "", nil
}

func (f *fakeRoles) Tags(_ context.Context, name string) (map[string]string, error) {
	f.reads++
	return f.tags[name], nil
}

type fakeLedger struct {
	obs      []readiness.Observation
	promoted guard.Promotions
	since    time.Time
	putErr   error
	puts     []Record
}

func (f *fakeLedger) Aggregate(_ context.Context, w readiness.Window) (*readiness.Aggregator, error) {
	a := readiness.NewAggregator(w)
	for _, o := range f.obs {
		a.Add(o)
	}
	return a, nil
}
func (f *fakeLedger) AllPromotions(context.Context) (guard.Promotions, error) { return f.promoted, nil }
func (f *fakeLedger) PutPromotion(_ context.Context, r Record) error {
	if f.putErr != nil {
		return f.putErr
	}
	f.puts = append(f.puts, r)
	return nil
}
func (f *fakeLedger) Since(context.Context, time.Time) (time.Time, error) { return f.since, nil }

type fakeBus struct{ events []Event }

func (b *fakeBus) Publish(_ context.Context, evs []Event) (int, error) {
	b.events = append(b.events, evs...)
	return 0, nil
}

func roleOf(name string) iamrole.Role {
	return iamrole.Role{Name: name, Path: "/", ARN: "arn:aws:iam::111122223333:role/" + name, TrustPolicy: []byte(openPolicy)}
}

// The evaluation reads tags only when they can matter, honours a protected mode tag (an
// audit tag keeps a role out, an allow tag on a require stack brings it in), skips own and
// promoted roles, and a promotion it cannot record is a failure, never a "promoted" event.
func TestEvaluatorRun(t *testing.T) {
	own := guard.OwnRole{Name: "guard", TrustPolicy: guard.OwnTrustPolicy("111122223333")}
	roles := &fakeRoles{
		roles: []iamrole.Role{roleOf("a"), roleOf("tag-audit"), roleOf("done"), {Name: "guard", Path: "/", ARN: "arn:aws:iam::111122223333:role/guard", TrustPolicy: own.TrustPolicy}},
		tags:  map[string]map[string]string{"tag-audit": {guard.TagMode: "audit"}},
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l := &fakeLedger{promoted: guard.Promotions{guard.PromotionKey(roleOf("done").ARN): true}, since: now.Add(-30 * 24 * time.Hour)}
	bus := &fakeBus{}
	e := &Evaluator{Setting: Auto, WindowDays: 14, Roles: roles, Ledger: l, Publisher: bus, Now: func() time.Time { return now },
		Policy: guard.Policy{Mode: guard.ModeAllow, TrustTags: true, OwnRoles: []guard.OwnRole{own}}}
	sum, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{"roles": sum.Roles, "notAllow": sum.NotAllow, "alreadyPromoted": sum.AlreadyPromoted, "promoted": sum.Promoted}
	if diff := cmp.Diff(map[string]int{"roles": 4, "notAllow": 2, "alreadyPromoted": 1, "promoted": 1}, got); diff != "" {
		t.Fatalf("summary (-want +got):\n%s\n%+v", diff, sum)
	}
	if len(l.puts) != 1 || l.puts[0].RoleARN != roleOf("a").ARN || l.puts[0].By != ByAuto {
		t.Fatalf("records %+v", l.puts)
	}
	if roles.reads == 0 {
		t.Error("tags never read with TrustTags on")
	}

	// A record that cannot be written: failed, an error, and no promoted event.
	l2 := &fakeLedger{since: l.since, putErr: errors.New("throttled")}
	bus2 := &fakeBus{}
	e2 := *e
	e2.Ledger, e2.Publisher, e2.Roles = l2, bus2, &fakeRoles{roles: []iamrole.Role{roleOf("a")}}
	sum, err = e2.Run(context.Background())
	if err == nil || sum.Failed != 1 || sum.Promoted != 0 {
		t.Fatalf("unwritten record: %+v, %v", sum, err)
	}
	for _, ev := range bus2.events {
		if de, ok := ev.Detail.(DecisionEvent); ok && de.Decision == guard.Promoted {
			t.Fatalf("promoted event without a record: %+v", de)
		}
	}

	// Off reads nothing.
	e3 := *e
	e3.Setting, e3.Roles, e3.Ledger = Off, nil, nil
	if sum, err := e3.Run(context.Background()); err != nil || sum.Roles != 0 {
		t.Fatalf("off: %+v %v", sum, err)
	}
}
