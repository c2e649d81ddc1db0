package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/emf"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

type memStore struct {
	value   []byte
	loadErr error
	saves   int
}

func (m *memStore) Load(context.Context) ([]byte, error) { return m.value, m.loadErr }
func (m *memStore) Save(_ context.Context, v []byte) error {
	m.saves++
	m.value = append([]byte(nil), v...)
	return nil
}

type recordingBus struct {
	calls  [][]Event
	failOn int // fail every entry of this call (1-based), 0 never
}

func (b *recordingBus) Publish(_ context.Context, evs []Event) (int, error) {
	b.calls = append(b.calls, append([]Event(nil), evs...))
	if len(b.calls) == b.failOn {
		return len(evs), errors.New("event entry rejected: InternalFailure")
	}
	return 0, nil
}

func openRoles(t testing.TB, n int) []iamrole.Role {
	var roles []iamrole.Role
	for i := range n {
		roles = append(roles, role(fmt.Sprintf("r%02d", i), "/", readPolicy(t, "account-root.json"), nil))
	}
	return roles
}

func TestJobPublishesInBatchesAndResetsThePosition(t *testing.T) {
	f := newFake(10, append(openRoles(t, 23), role("ok", "/", compliantPolicy(t), nil))...)
	store := &memStore{value: []byte(`{}`)}
	bus := &recordingBus{}
	var metrics bytes.Buffer
	calls := 0
	j := &Job{
		Sweeper:   &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeAudit}},
		Positions: store, Publisher: bus,
		Calls:   func() map[string]int { calls += 3; return map[string]int{"IAM.ListRoles": calls} },
		Metrics: emf.New(&metrics, emf.Namespace),
	}
	sum, err := j.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// 23 would-patch decisions: batches of 10, 10, 3, then the summary on its own.
	var sizes []int
	for _, c := range bus.calls {
		sizes = append(sizes, len(c))
	}
	if diff := cmp.Diff([]int{10, 10, 3, 1}, sizes); diff != "" {
		t.Errorf("PutEvents batch sizes (-want +got):\n%s", diff)
	}
	for _, c := range bus.calls[:3] {
		for _, e := range c {
			de, ok := e.Detail.(guard.DecisionEvent)
			if e.DetailType != guard.EventDetailType || !ok || de.Decision != guard.WouldPatch || de.Account != "123456789012" ||
				len(e.Resources) != 1 || e.Resources[0] != de.RoleARN {
				t.Errorf("decision event %+v", e)
			}
		}
	}
	last := bus.calls[3][0]
	if last.DetailType != SummaryDetailType {
		t.Fatalf("last event detail-type %q; want %q", last.DetailType, SummaryDetailType)
	}
	b, _ := json.Marshal(last.Detail)
	var detail map[string]any
	json.Unmarshal(b, &detail)
	for _, k := range []string{"completed", "counts", "durationMs", "apiCalls", "complianceRatio"} {
		if _, ok := detail[k]; !ok {
			t.Errorf("summary detail has no %q: %s", k, b)
		}
	}
	if !sum.Completed || sum.EventsPublished != 23 || sum.EventsFailed != 0 || string(store.value) != `{}` {
		t.Errorf("completed %v, published %d, failed %d, saved %s", sum.Completed, sum.EventsPublished, sum.EventsFailed, store.value)
	}
	// Calls made during the run (3), plus the summary's own PutEvents.
	if diff := cmp.Diff(map[string]int{"IAM.ListRoles": 3, "EventBridge.PutEvents": 1}, sum.APICalls); diff != "" {
		t.Errorf("APICalls (-want +got):\n%s", diff)
	}
	out := metrics.String()
	for _, want := range []string{`"SweepIncomplete":0`, `"SweepCompleted":1`, `"decision":"would-patch"`, `"SweepComplianceRatio":`} {
		if !strings.Contains(out, want) {
			t.Errorf("EMF output lacks %s:\n%s", want, out)
		}
	}
}

func TestJobSavesWhereItStopped(t *testing.T) {
	f := newFake(10, openRoles(t, 30)...)
	store := &memStore{value: []byte(`{"marker":"10","after":"r14"}`)}
	bus := &recordingBus{failOn: 1}
	clock := &stepClock{t: time.Now().Add(time.Hour), step: time.Second}
	j := &Job{
		Sweeper:   &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeAudit}, Now: clock.Now, Margin: 5 * time.Second},
		Positions: store, Publisher: bus,
	}
	ctx, cancel := context.WithDeadline(t.Context(), clock.Now().Add(12*time.Second))
	defer cancel()
	sum, err := j.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Completed || !sum.Resumed || sum.From.Marker != "10" || sum.Next == nil {
		t.Fatalf("summary completed %v resumed %v from %+v next %v", sum.Completed, sum.Resumed, sum.From, sum.Next)
	}
	var saved Position
	if err := json.Unmarshal(store.value, &saved); err != nil || saved.Marker != sum.Next.Marker || saved.After != sum.Next.After {
		t.Errorf("saved %s (%v); want %+v", store.value, err, *sum.Next)
	}
	if sum.Roles == 0 || sum.EventsFailed == 0 || len(sum.Warnings) == 0 {
		t.Errorf("roles %d, events failed %d, warnings %v; want a partial run with the failed batch reported", sum.Roles, sum.EventsFailed, sum.Warnings)
	}
}

func TestJobStartsOverOnAnUnreadablePosition(t *testing.T) {
	for _, store := range []*memStore{
		{value: []byte(`not json`)},
		{loadErr: errors.New("AccessDenied")},
	} {
		f := newFake(10, openRoles(t, 3)...)
		j := &Job{Sweeper: &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeAudit}}, Positions: store, Publisher: &recordingBus{}}
		sum, err := j.Run(t.Context())
		if err != nil || !sum.Completed || sum.Roles != 3 || sum.Resumed {
			t.Errorf("store %+v: completed %v roles %d resumed %v err %v", store, sum.Completed, sum.Roles, sum.Resumed, err)
		}
	}
}
