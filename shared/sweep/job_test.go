package sweep

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
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
		Sweeper:   &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeRequire}, Now: clock.Now, Margin: 5 * time.Second},
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

// hmacSigner is an in-memory Signer (the function uses KMS; see shared/kmsmac).
type hmacSigner struct{ key []byte }

func (h hmacSigner) Sign(_ context.Context, msg []byte) ([]byte, error) {
	m := hmac.New(sha256.New, h.key)
	m.Write(msg)
	return m.Sum(nil), nil
}

func (h hmacSigner) Verify(ctx context.Context, msg, mac []byte) (bool, error) {
	want, _ := h.Sign(ctx, msg)
	return hmac.Equal(want, mac), nil
}

// TestJobRejectsAForgedPosition: a position someone else wrote (unsigned, or signed with
// another key) cannot make the sweep skip roles: the run judges every role from the first and
// says it restarted; the position it saves is signed.
func TestJobRejectsAForgedPosition(t *testing.T) {
	forgedBody := `{"marker":"10","after":"r29"}`
	other, _ := hmacSigner{key: []byte("not the sweep's key")}.Sign(t.Context(), []byte(forgedBody))
	otherSigned, _ := json.Marshal(signedPosition{Position: json.RawMessage(forgedBody), MAC: other})
	for name, value := range map[string][]byte{
		"unsigned":           []byte(forgedBody),
		"signed by another":  otherSigned,
		"signature stripped": []byte(`{"position":` + forgedBody + `}`),
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(10, openRoles(t, 30)...)
			store := &memStore{value: value}
			var metrics bytes.Buffer
			j := &Job{Sweeper: &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeAudit}}, Positions: store,
				Publisher: &recordingBus{}, Signer: hmacSigner{key: []byte("k")}, Metrics: emf.New(&metrics, emf.Namespace)}
			sum, err := j.Run(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if sum.Roles != 30 || !sum.Completed || !sum.CompletePass || !sum.Restarted || sum.Resumed || !strings.Contains(sum.RestartReason, "sign") {
				t.Errorf("roles %d completed %v pass %v restarted %v (%q) resumed %v; want 30 roles judged from the first, restart reported",
					sum.Roles, sum.Completed, sum.CompletePass, sum.Restarted, sum.RestartReason, sum.Resumed)
			}
			if !strings.Contains(metrics.String(), `"`+MetricPositionRejected+`":1`) {
				t.Errorf("no %s metric:\n%s", MetricPositionRejected, metrics.String())
			}
			var saved signedPosition
			if err := json.Unmarshal(store.value, &saved); err != nil || len(saved.MAC) == 0 {
				t.Errorf("saved %s; want a signed position", store.value)
			}
		})
	}
}

// TestJobRejectsAnotherAccountsPosition: in organization scope every account has its own
// position under one key; a position signed for account A, copied to account B's parameter, is
// rejected (the run starts from B's first role).
func TestJobRejectsAnotherAccountsPosition(t *testing.T) {
	signer := hmacSigner{key: []byte("k")}
	body := []byte(`{"marker":"10","after":"r14"}`)
	a := &Job{Account: "111122223333", Signer: signer}
	mac, _ := signer.Sign(t.Context(), a.signedMessage(body))
	value, _ := json.Marshal(signedPosition{Position: body, MAC: mac})
	b := &Job{Sweeper: &Sweeper{Roles: newFake(10, openRoles(t, 30)...), Policy: guard.Policy{Mode: guard.ModeAudit}},
		Positions: &memStore{value: value}, Publisher: &recordingBus{}, Signer: signer, Account: "444455556666"}
	sum, err := b.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resumed || !sum.Restarted || sum.Roles != 30 || !sum.CompletePass {
		t.Errorf("resumed %v restarted %v roles %d pass %v; want the copied position rejected and every role judged",
			sum.Resumed, sum.Restarted, sum.Roles, sum.CompletePass)
	}
}

// TestJobResumesFromItsOwnSignedPosition: the sweep's own position is honoured.
func TestJobResumesFromItsOwnSignedPosition(t *testing.T) {
	signer := hmacSigner{key: []byte("k")}
	body := []byte(`{"marker":"10","after":"r14"}`)
	j := &Job{Sweeper: &Sweeper{Roles: newFake(10, openRoles(t, 30)...), Policy: guard.Policy{Mode: guard.ModeAudit}},
		Publisher: &recordingBus{}, Signer: signer, Account: "111122223333"}
	mac, _ := signer.Sign(t.Context(), j.signedMessage(body))
	value, _ := json.Marshal(signedPosition{Position: body, MAC: mac})
	j.Positions = &memStore{value: value}
	sum, err := j.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Resumed || sum.Restarted || sum.Roles != 15 || !sum.Completed || sum.CompletePass {
		t.Errorf("resumed %v restarted %v roles %d completed %v pass %v; want a resumed run over the last 15 roles, not a complete pass",
			sum.Resumed, sum.Restarted, sum.Roles, sum.Completed, sum.CompletePass)
	}
}

type fakeLock struct {
	held     bool
	acquired int
	released int
}

func (l *fakeLock) Acquire(context.Context, string, time.Duration) (bool, error) {
	if l.held {
		return false, nil
	}
	l.acquired++
	return true, nil
}

func (l *fakeLock) Release(context.Context, string) error { l.released++; return nil }

func TestJobHoldsTheLock(t *testing.T) {
	f := newFake(10, openRoles(t, 3)...)
	lock := &fakeLock{}
	bus := &recordingBus{}
	j := &Job{Sweeper: &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeAudit}}, Positions: &memStore{}, Publisher: bus, Lock: lock}
	if sum, err := j.Run(t.Context()); err != nil || sum.Roles != 3 || lock.acquired != 1 || lock.released != 1 {
		t.Errorf("roles %d err %v, lock acquired %d released %d; want 3, nil, 1, 1", sum.Roles, err, lock.acquired, lock.released)
	}
	lock.held = true
	calls := len(bus.calls)
	sum, err := j.Run(t.Context())
	if err != nil || sum.StopReason != "locked" || sum.Roles != 0 || len(bus.calls) != calls || f.calls["ListRoles"] != 1 {
		t.Errorf("with the lock held: stop %q roles %d err %v, %d publishes, %d ListRoles; want locked, nothing done",
			sum.StopReason, sum.Roles, err, len(bus.calls)-calls, f.calls["ListRoles"])
	}
}
