// Package busqueue is the tests' one way to see what reaches an EventBridge bus: it creates an
// SQS queue and a rule (with an event pattern) whose target is the queue, on moto_server, and
// drains the queue. The tests use it to read the decision events the functions publish and to
// check which events the template's own pattern lets through.
package busqueue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Queue is an SQS queue fed by one rule.
type Queue struct {
	URL, ARN string
	sqs      *sqs.Client
}

// Options of New. Bus "" is the default bus (it must exist otherwise).
type Options struct {
	Bus string
}

// New creates the queue name and a rule of the same name on the bus with pattern, targeting
// the queue. The target delivers the whole event, as EventBridge does without a transformer
// (moto's default target template drops "account" and costs about 0.8 s per delivery; this one
// about 0.1 s).
func New(ctx context.Context, cfg aws.Config, name, pattern string, o Options) (*Queue, error) {
	sq, eb := sqs.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("create queue %s: %w", name, err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return nil, fmt.Errorf("get queue %s ARN: %w", name, err)
	}
	var bus *string
	if o.Bus != "" {
		bus = aws.String(o.Bus)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: bus, EventPattern: aws.String(pattern)}); err != nil {
		return nil, fmt.Errorf("put rule %s with pattern %s: %w", name, pattern, err)
	}
	arn := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String(name), EventBusName: bus,
		Targets: []ebtypes.Target{{
			Id: aws.String("queue"), Arn: aws.String(arn),
			InputTransformer: &ebtypes.InputTransformer{
				InputPathsMap: map[string]string{"id": "$.id"},
				InputTemplate: aws.String("<aws.events.event.json>"),
			},
		}},
	}); err != nil {
		return nil, fmt.Errorf("put target of rule %s: %w", name, err)
	}
	return &Queue{URL: aws.ToString(q.QueueUrl), ARN: arn, sqs: sq}, nil
}

// Start is New for a test: it fails the test on error.
func Start(t testing.TB, cfg aws.Config, name, pattern string, o Options) *Queue {
	t.Helper()
	q, err := New(t.Context(), cfg, name, pattern, o)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// Receive returns (and deletes) the message bodies delivered so far, waiting up to wait for the
// first one. moto delivers during PutEvents, so an empty poll after some messages means no more
// are coming.
func (q *Queue) Receive(ctx context.Context, wait time.Duration) ([][]byte, error) {
	var out [][]byte
	deadline := time.Now().Add(wait)
	for {
		// Short polls: moto's long poll waits for MaxNumberOfMessages or the timeout.
		msgs, err := q.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.URL), MaxNumberOfMessages: 10})
		if err != nil {
			return out, fmt.Errorf("receive from %s: %w", q.URL, err)
		}
		for _, m := range msgs.Messages {
			out = append(out, []byte(aws.ToString(m.Body)))
			if _, err := q.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.URL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return out, fmt.Errorf("delete message from %s: %w", q.URL, err)
			}
		}
		if len(msgs.Messages) == 0 {
			if len(out) > 0 || !time.Now().Before(deadline) {
				return out, nil
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// Drain returns (and deletes) every message delivered so far, failing the test on error.
func (q *Queue) Drain(t testing.TB) [][]byte {
	t.Helper()
	out, err := q.Receive(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Wait is Drain, waiting up to 10 s for the first message.
func (q *Queue) Wait(t testing.TB) [][]byte {
	t.Helper()
	out, err := q.Receive(t.Context(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
