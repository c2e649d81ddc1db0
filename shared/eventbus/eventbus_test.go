package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/go-cmp/cmp"
)

var _ API = (*eventbridge.Client)(nil)

// fakeAPI records each PutEvents call and answers with respond (nil: all accepted).
type fakeAPI struct {
	calls   [][]types.PutEventsRequestEntry
	respond func(call int, entries []types.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error)
}

func (f *fakeAPI) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.calls = append(f.calls, in.Entries)
	if f.respond != nil {
		return f.respond(len(f.calls)-1, in.Entries)
	}
	return accepted(in.Entries), nil
}

func accepted(entries []types.PutEventsRequestEntry) *eventbridge.PutEventsOutput {
	out := &eventbridge.PutEventsOutput{}
	for i := range entries {
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String(fmt.Sprint("id-", i))})
	}
	return out
}

func (f *fakeAPI) sizes() []int {
	var n []int
	for _, c := range f.calls {
		n = append(n, len(c))
	}
	return n
}

type decision struct {
	Role   string `json:"role"`
	Before string `json:"before"`
}

func entries(n int) []Entry {
	var es []Entry
	for i := range n {
		es = append(es, Entry{
			Source:     "source-identity-guard",
			DetailType: "Trust Policy Decision",
			Detail:     decision{Role: fmt.Sprintf("role-%02d", i), Before: `{"a":"<&>"}`},
			Resources:  []string{fmt.Sprintf("arn:aws:iam::111122223333:role/role-%02d", i)},
		})
	}
	return es
}

func TestPublishBatches(t *testing.T) {
	tests := []struct {
		n     int
		sizes []int
	}{
		{0, nil},
		{1, []int{1}},
		{10, []int{10}},
		{11, []int{10, 1}},
		{25, []int{10, 10, 5}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			api := &fakeAPI{}
			failed, err := New(api, "guard-bus").Publish(t.Context(), entries(tt.n))
			if failed != 0 || err != nil {
				t.Errorf("Publish(%d) = %d, %v; want 0, nil", tt.n, failed, err)
			}
			if diff := cmp.Diff(tt.sizes, api.sizes()); diff != "" {
				t.Errorf("PutEvents batch sizes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPublishEntryFields(t *testing.T) {
	api := &fakeAPI{}
	es := entries(1)
	es = append(es,
		Entry{Source: "s", DetailType: "raw", Detail: json.RawMessage(`{ "x" : "<y>" }`)},
		Entry{Source: "s", DetailType: "nil"})
	if failed, err := New(api, "guard-bus").Publish(t.Context(), es); failed != 0 || err != nil {
		t.Fatalf("Publish = %d, %v", failed, err)
	}
	want := []types.PutEventsRequestEntry{{
		Source:       aws.String("source-identity-guard"),
		DetailType:   aws.String("Trust Policy Decision"),
		Detail:       aws.String(`{"role":"role-00","before":"{\"a\":\"<&>\"}"}`), // no \u003c escapes
		Resources:    []string{"arn:aws:iam::111122223333:role/role-00"},
		EventBusName: aws.String("guard-bus"),
	}, {
		Source: aws.String("s"), DetailType: aws.String("raw"), Detail: aws.String(`{"x":"<y>"}`), EventBusName: aws.String("guard-bus"),
	}, {
		Source: aws.String("s"), DetailType: aws.String("nil"), Detail: aws.String(`{}`), EventBusName: aws.String("guard-bus"),
	}}
	if diff := cmp.Diff(want, api.calls[0], cmp.AllowUnexported(types.PutEventsRequestEntry{})); diff != "" {
		t.Errorf("entries sent (-want +got):\n%s", diff)
	}
}

func TestPublishDefaultBus(t *testing.T) {
	api := &fakeAPI{}
	New(api, "").Publish(t.Context(), entries(1))
	if got := api.calls[0][0].EventBusName; got != nil {
		t.Errorf("EventBusName = %q; want unset for the default bus", *got)
	}
}

func TestPublishFailedEntries(t *testing.T) {
	api := &fakeAPI{respond: func(call int, es []types.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error) {
		out := accepted(es)
		if call == 1 { // second batch: entries 3 and 7 of it (12 and 16 overall) rejected
			for _, j := range []int{3, 7} {
				out.Entries[j] = types.PutEventsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("try later")}
			}
			out.FailedEntryCount = 2
		}
		return out, nil
	}}
	failed, err := New(api, "guard-bus").Publish(t.Context(), entries(25))
	if failed != 2 {
		t.Errorf("failed = %d; want 2", failed)
	}
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v; want ErrRejected", err)
	}
	for _, want := range []string{"publish entry 13 ", "publish entry 17 ", `InternalFailure: try later`, `bus "guard-bus"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q; want it to contain %q", err, want)
		}
	}
	if diff := cmp.Diff([]int{10, 10, 5}, api.sizes()); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

func TestPublishFailedCountWithoutDetails(t *testing.T) {
	api := &fakeAPI{respond: func(_ int, es []types.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error) {
		return &eventbridge.PutEventsOutput{FailedEntryCount: 3}, nil
	}}
	failed, err := New(api, "b").Publish(t.Context(), entries(5))
	if failed != 3 || !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "3 entries failed, 0 identified") {
		t.Errorf("Publish = %d, %v; want 3 and an ErrRejected error", failed, err)
	}
}

func TestPublishCallError(t *testing.T) {
	boom := errors.New("connection reset")
	api := &fakeAPI{respond: func(call int, es []types.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error) {
		if call == 0 {
			return nil, boom
		}
		return accepted(es), nil
	}}
	failed, err := New(api, "guard-bus").Publish(t.Context(), entries(25))
	if failed != 10 || !errors.Is(err, boom) {
		t.Errorf("Publish = %d, %v; want 10 and the call's error", failed, err)
	}
	if !strings.Contains(err.Error(), `put 10 events on bus "guard-bus": connection reset`) {
		t.Errorf("err = %q; want the operation, bus and cause", err)
	}
	if diff := cmp.Diff([]int{10, 10, 5}, api.sizes()); diff != "" {
		t.Errorf("later batches must still be sent (-want +got):\n%s", diff)
	}
}

func TestPublishTooLarge(t *testing.T) {
	api := &fakeAPI{}
	es := entries(3)
	es[1].Detail = map[string]string{"before": strings.Repeat("x", DefaultMaxSize)}
	failed, err := New(api, "guard-bus").Publish(t.Context(), es)
	if failed != 1 || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Publish = %d, %v; want 1 and ErrTooLarge", failed, err)
	}
	if !strings.Contains(err.Error(), `publish entry 1 (source "source-identity-guard", detail-type "Trust Policy Decision"): event entry too large: 262`) {
		t.Errorf("err = %q; want the entry, its size and the limit", err)
	}
	if diff := cmp.Diff([]int{2}, api.sizes()); diff != "" {
		t.Errorf("the other entries must be sent (-want +got):\n%s", diff)
	}
}

func TestPublishSizeBudgetSplitsBatches(t *testing.T) {
	api := &fakeAPI{}
	es := make([]Entry, 7)
	for i := range es {
		es[i] = Entry{Source: "s", DetailType: "d", Detail: map[string]string{"p": strings.Repeat("é", 140)}} // 2+292 bytes
	}
	size := EntrySize("s", "d", `{"p":"`+strings.Repeat("é", 140)+`"}`, nil)
	failed, err := New(api, "b", withMaxSize(3*size)).Publish(t.Context(), es)
	if failed != 0 || err != nil {
		t.Fatalf("Publish = %d, %v", failed, err)
	}
	if diff := cmp.Diff([]int{3, 3, 1}, api.sizes()); diff != "" {
		t.Errorf("batches within a %d-byte budget (-want +got):\n%s", 3*size, diff)
	}
	for _, call := range api.calls {
		total := 0
		for _, e := range call {
			total += EntrySize(*e.Source, *e.DetailType, *e.Detail, e.Resources)
		}
		if total > 3*size {
			t.Errorf("batch of %d bytes exceeds the budget %d", total, 3*size)
		}
	}
}

func TestPublishMarshalError(t *testing.T) {
	api := &fakeAPI{}
	es := entries(2)
	es[0].Detail = map[string]any{"f": func() {}}
	failed, err := New(api, "b").Publish(t.Context(), es)
	if failed != 1 || err == nil || !strings.Contains(err.Error(), "publish entry 0") || !strings.Contains(err.Error(), "marshal detail") {
		t.Errorf("Publish = %d, %v; want 1 and a marshal error naming entry 0", failed, err)
	}
	if diff := cmp.Diff([]int{1}, api.sizes()); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

func TestEntrySize(t *testing.T) {
	tests := []struct {
		source, detailType, detail string
		resources                  []string
		want                       int
	}{
		{"a", "bc", "{}", nil, 5},
		{"a", "b", `{"x":"é"}`, []string{"r1", "r22"}, 1 + 1 + 10 + 2 + 3}, // é is 2 UTF-8 bytes
	}
	for _, tt := range tests {
		if got := EntrySize(tt.source, tt.detailType, tt.detail, tt.resources); got != tt.want {
			t.Errorf("EntrySize(%q, %q, %q, %q) = %d; want %d", tt.source, tt.detailType, tt.detail, tt.resources, got, tt.want)
		}
	}
}
