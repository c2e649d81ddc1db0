package template

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// The member template's forwarding pattern on a moto_server rule with an SQS target, with the
// events the hub's pattern is tested with: failed calls, other calls and near misses are dropped
// in the member account; unlike the hub, no session is dropped there (the hub's writes in a
// member account are member-role sessions, and the hub finds them compliant).
func TestMemberPatternOnEventBridge(t *testing.T) {
	tpl, _ := memberTemplate(t)
	patternJSON, err := json.Marshal(tpl.resolve(t, tpl.Resources["ForwardIamEventsRule"].Properties["EventPattern"]))
	if err != nil {
		t.Fatal(err)
	}
	// Forwarded although the hub's own rule drops them: sessions of the hub's roles.
	forwardedHere := map[string]bool{"events/guard-self-update.json": true, "guard's own role": true,
		"guard's own role, CreateRole": true, "the sweep's role": true, "TagRole by the guard's function": true}
	cases := append(sampleCases(t), actorCases(t)...)
	want := map[string]bool{}
	for _, c := range cases {
		if c.want || forwardedHere[c.name] {
			want[c.name] = true
		}
	}
	if diff := cmp.Diff(want, deliveredOnMoto(t, string(patternJSON), cases)); diff != "" {
		t.Errorf("events forwarded to the hub (-want +got):\n%s", diff)
	}
}

// deliveredOnMoto puts pattern on a rule of moto's default bus with an SQS target, sends every
// case and returns the names of the cases delivered.
func deliveredOnMoto(t *testing.T, pattern string, cases []patternCase) map[string]bool {
	t.Helper()
	srv := motoserver.Start(t)
	ctx := t.Context()
	cfg := srv.AWSConfig()
	eb, sq := eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("forward-target")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("forward"), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatalf("put rule with the pattern %s: %v", pattern, err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("forward"),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entryOf(t, c)}})
		if err != nil || out.FailedEntryCount != 0 {
			t.Fatalf("%s: put event: %v %+v", c.name, err, out)
		}
	}
	got := map[string]bool{}
	for {
		msgs, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs.Messages) == 0 {
			return got
		}
		for _, m := range msgs.Messages {
			var ev struct{ Resources []string }
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatal(err)
			}
			for _, r := range ev.Resources {
				got[strings.TrimPrefix(r, caseURN)] = true
			}
			if _, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
