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
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

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

// busToQueue creates bus, a queue, and a rule on the bus sending events whose source is
// "source-identity-guard" to the queue. It returns the EventBridge client and a function that
// receives n events from the queue.
func busToQueue(t *testing.T, bus string) (*eventbridge.Client, func(n int) []envelope) {
	t.Helper()
	ctx := t.Context()
	cfg := motoserver.Shared(t).AWSConfig()
	eb, sq := eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg)

	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("decisions")})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatalf("CreateEventBus: %v", err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String("to-queue"), EventBusName: aws.String(bus),
		EventPattern: aws.String(`{"source":["source-identity-guard"]}`),
	}); err != nil {
		t.Fatalf("PutRule: %v", err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String("to-queue"), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{
			Id: aws.String("q"), Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
			// The whole event, as EventBridge would deliver it without a transformer. moto's default
			// template drops "account" and compiles 8 JSONPath parsers per delivery (~0.8 s per
			// event); this template needs one (~0.1 s).
			InputTransformer: &ebtypes.InputTransformer{
				InputPathsMap: map[string]string{"id": "$.id"},
				InputTemplate: aws.String("<aws.events.event.json>"),
			},
		}},
	}); err != nil {
		t.Fatalf("PutTargets: %v", err)
	}

	receive := func(n int) []envelope {
		t.Helper()
		var got []envelope
		deadline := time.Now().Add(10 * time.Second)
		for len(got) < n && time.Now().Before(deadline) {
			// Short polls: moto's long poll waits for MaxNumberOfMessages or the timeout.
			out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
			if err != nil {
				t.Fatalf("ReceiveMessage: %v", err)
			}
			if len(out.Messages) == 0 {
				if len(got) > 0 {
					break // moto delivers during PutEvents: an empty poll after some messages means no more
				}
				time.Sleep(50 * time.Millisecond)
			}
			for _, m := range out.Messages {
				var e envelope
				if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
					t.Fatalf("message body %q: %v", aws.ToString(m.Body), err)
				}
				got = append(got, e)
				if _, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatalf("DeleteMessage: %v", err)
				}
			}
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
	got := receive(26) // 25 events, then an empty poll: the non-matching event must not come
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
	if diff := cmp.Diff(wantEnvelopes(ok), receive(len(ok))); diff != "" {
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
