package eventbus

// Integration tests against a real moto_server: a rule on the bus forwards matching events to an
// SQS queue that the test reads back.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/busqueue"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

func TestMain(m *testing.M) { os.Exit(motoserver.RunTests(m)) }

// countingAPI counts PutEvents calls on the way to a real client.
type countingAPI struct {
	api   API
	calls int
}

func (c *countingAPI) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	c.calls++
	return c.api.PutEvents(ctx, in, optFns...)
}

// envelope is the part of the delivered EventBridge event the tests check.
type envelope struct {
	Source     string   `json:"source"`
	DetailType string   `json:"detail-type"`
	Account    string   `json:"account"`
	Resources  []string `json:"resources"`
	Detail     decision `json:"detail"`
}

// busToQueue creates bus and a queue fed by a rule on the bus for the events whose source is
// "source-identity-guard". It returns the EventBridge client and a function that receives the
// events delivered (waiting for the first), sorted by role.
func busToQueue(t *testing.T, bus string) (*eventbridge.Client, func() []envelope) {
	t.Helper()
	cfg := motoserver.Shared(t).AWSConfig()
	eb := eventbridge.NewFromConfig(cfg)
	if _, err := eb.CreateEventBus(t.Context(), &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatalf("CreateEventBus: %v", err)
	}
	q := busqueue.Start(t, cfg, "to-queue", `{"source":["source-identity-guard"]}`, busqueue.Options{Bus: bus})
	receive := func() []envelope {
		t.Helper()
		var got []envelope
		for _, body := range q.Wait(t) {
			var e envelope
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("message body %q: %v", body, err)
			}
			got = append(got, e)
		}
		sort.Slice(got, func(i, j int) bool { return got[i].Detail.Role < got[j].Detail.Role })
		return got
	}
	return eb, receive
}

func wantEnvelopes(es []Entry) []envelope {
	var want []envelope
	for _, e := range es {
		want = append(want, envelope{
			Source: e.Source, DetailType: e.DetailType, Account: motoserver.AccountID,
			Resources: e.Resources, Detail: e.Detail.(decision),
		})
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Detail.Role < want[j].Detail.Role })
	return want
}

func TestIntegrationPublish25(t *testing.T) {
	eb, receive := busToQueue(t, "guard-bus")
	api := &countingAPI{api: eb}
	es := entries(25)
	es[4].Detail = decision{Role: "role-04", Before: `{"c":"a+b%20c é <&>"}`}
	// A non-matching source: published, but the rule must not forward it.
	other := Entry{Source: "someone-else", DetailType: "Trust Policy Decision", Detail: decision{Role: "zz-other"}}

	failed, err := New(api, "guard-bus").Publish(t.Context(), append(es, other))
	if failed != 0 || err != nil {
		t.Fatalf("Publish = %d, %v; want 0, nil", failed, err)
	}
	if api.calls != 3 {
		t.Errorf("PutEvents calls = %d; want 3 (10+10+6)", api.calls)
	}
	got := receive() // 25 events, then an empty poll: the non-matching event must not come
	if diff := cmp.Diff(wantEnvelopes(es), got); diff != "" {
		t.Errorf("events delivered to the queue (-want +got):\n%s", diff)
	}
}

func TestIntegrationPublishPartialFailure(t *testing.T) {
	eb, receive := busToQueue(t, "guard-bus")
	es := entries(12)
	bad := es[5]
	bad.Source = "" // EventBridge rejects this entry alone (InvalidArgument)
	es[5] = bad

	failed, err := New(eb, "guard-bus").Publish(t.Context(), es)
	if failed != 1 || !errors.Is(err, ErrRejected) {
		t.Fatalf("Publish = %d, %v; want 1 and ErrRejected", failed, err)
	}
	if !strings.Contains(err.Error(), "publish entry 5 ") || !strings.Contains(err.Error(), "InvalidArgument") {
		t.Errorf("err = %q; want entry 5 and EventBridge's code", err)
	}
	ok := append(append([]Entry(nil), es[:5]...), es[6:]...)
	if diff := cmp.Diff(wantEnvelopes(ok), receive()); diff != "" {
		t.Errorf("the other entries must arrive (-want +got):\n%s", diff)
	}
}

func TestIntegrationPublishMissingBus(t *testing.T) {
	cfg := motoserver.Shared(t).AWSConfig()
	failed, err := New(eventbridge.NewFromConfig(cfg), "no-such-bus").Publish(t.Context(), entries(3))
	if failed != 3 || err == nil || !strings.Contains(err.Error(), `put 3 events on bus "no-such-bus"`) {
		t.Errorf("Publish to a missing bus = %d, %v; want 3 and the call's error", failed, err)
	}
}
