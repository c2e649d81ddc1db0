package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	etypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
	"github.com/source-identity-guard/source-identity-guard/shared/trailfiles"
	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
)

const fixtures = "../../cmd/sidguard/testdata/cloudtrail"

// deployedPattern reads the CollectFunction rule's pattern from template.yaml with cfn-lint's
// own YAML decoder (it understands the short-form intrinsics), so the test uses the pattern
// that would be deployed, not a copy.
func deployedPattern(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: cannot read the template's pattern")
	}
	script := `import json,sys
from cfnlint.decode import decode
tpl, errs = decode(sys.argv[1])
if errs: sys.exit(str(errs))
print(json.dumps(tpl["Resources"]["CollectFunction"]["Properties"]["Events"]["RoleAssumption"]["Properties"]["Pattern"]))`
	out, err := exec.Command(py, "-c", script, "../../template.yaml").CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No module named") {
			t.Skipf("cfn-lint's Python package is missing: %s", out)
		}
		t.Fatalf("read the pattern: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// fixtureEvents wraps every fixture record in the EventBridge envelope CloudTrail delivery
// gives it.
func fixtureEvents(t *testing.T) []etypes.PutEventsRequestEntry {
	t.Helper()
	r := &trailfiles.Reader{}
	files, err := r.Files(context.Background(), []string{fixtures})
	if err != nil {
		t.Fatal(err)
	}
	var out []etypes.PutEventsRequestEntry
	var dec trailrecord.Decoder
	for _, f := range files {
		_, err := r.ReadFile(context.Background(), f, func(_ int, raw []byte) error {
			rec, err := dec.Decode(raw)
			if err != nil {
				return err
			}
			source := "aws." + strings.TrimSuffix(rec.EventSource, ".amazonaws.com")
			detailType := "AWS API Call via CloudTrail"
			if rec.EventType == "AwsConsoleSignIn" {
				detailType = "AWS Console Sign In via CloudTrail"
			}
			out = append(out, etypes.PutEventsRequestEntry{Source: aws.String(source), DetailType: aws.String(detailType),
				Detail: aws.String(string(raw)), Resources: []string{}})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func offline(t *testing.T, w readiness.Window) []readiness.Record {
	t.Helper()
	r := &trailfiles.Reader{}
	files, err := r.Files(context.Background(), []string{fixtures})
	if err != nil {
		t.Fatal(err)
	}
	agg := readiness.NewAggregator(w)
	var dec trailrecord.Decoder
	if err := r.Scan(context.Background(), files, 1, func(_ int, _ trailfiles.File, _ int, raw []byte) error {
		rec, err := dec.Decode(raw)
		if err != nil {
			return err
		}
		agg.AddRecord(rec)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return records(agg)
}

func records(agg *readiness.Aggregator) []readiness.Record {
	var out []readiness.Record
	for _, ev := range agg.Results() {
		out = append(out, readiness.ToRecord(ev))
	}
	return out
}

// TestLiveAndOfflineAgree sends the fixture trails' records through the deployed rule pattern
// (moto's EventBridge, to an SQS queue), invokes the Collect bootstrap under the Lambda
// emulator with each delivered event against moto's DynamoDB, and compares the ledger's
// per-role answers with `sidguard readiness`'s offline path over the same files.
func TestLiveAndOfflineAgree(t *testing.T) {
	pattern := deployedPattern(t)
	boot := lambdaemu.BuildFunction(t, "./functions/collect")
	srv := motoserver.Start(t)
	ctx := context.Background()
	cfg := srv.AWSConfig()

	db := dynamodb.NewFromConfig(cfg)
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("evidence"),
		BillingMode:          dtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dtypes.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: dtypes.ScalarAttributeTypeS}},
		KeySchema:            []dtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dtypes.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: dtypes.KeyTypeRange}},
	}); err != nil {
		t.Fatal(err)
	}

	q := sqs.NewFromConfig(cfg)
	qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("collect")})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(cfg)
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("collect"), EventPattern: aws.String(pattern),
		State: etypes.RuleStateEnabledWithAllCloudtrailManagementEvents}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("collect"),
		Targets: []etypes.Target{{Id: aws.String("q"), Arn: aws.String(qa.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}
	entries := fixtureEvents(t)
	for i := 0; i < len(entries); i += 10 {
		out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries[i:min(i+10, len(entries))]})
		if err != nil || out.FailedEntryCount != 0 {
			t.Fatalf("PutEvents: %v (%d failed)", err, out.FailedEntryCount)
		}
	}
	var delivered []string
	for empty := 0; empty < 2; {
		m, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: qo.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Messages) == 0 {
			empty++
			continue
		}
		for _, msg := range m.Messages {
			delivered = append(delivered, aws.ToString(msg.Body))
			q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: qo.QueueUrl, ReceiptHandle: msg.ReceiptHandle})
		}
	}
	// 19 fixture records: 5 other API calls, 1 AWS service call and 1 failed call are not
	// delivered; the other 12 role assumptions and switch-roles are.
	if len(delivered) != 12 {
		t.Fatalf("the rule delivered %d events, want 12", len(delivered))
	}

	emu := lambdaemu.Start(t, lambdaemu.Config{Bootstrap: boot, Env: append(srv.Env(), "LEDGER_TABLE=evidence"), FunctionName: "collect"})
	stored := 0
	for _, ev := range delivered {
		inv, err := emu.Invoke(ctx, []byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		if f := inv.Failure(); f != "" {
			t.Fatalf("invocation failed: %s\n%s", f, ev)
		}
		var res struct{ Stored bool }
		json.Unmarshal(inv.Payload, &res)
		if res.Stored {
			stored++
		}
	}
	// One delivered event is the caller-side copy of a cross-account call: not evidence.
	if stored != 11 {
		t.Errorf("%d observations stored, want 11", stored)
	}

	w := readiness.NewWindow(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), readiness.DefaultDays)
	agg, err := ledger.New(db, "evidence", 0).Aggregate(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	live, want := records(agg), offline(t, w)
	if len(want) == 0 {
		t.Fatal("the offline path found no role")
	}
	if diff := cmp.Diff(want, live); diff != "" {
		t.Fatalf("live and offline paths disagree (-offline +live):\n%s", diff)
	}
	t.Logf("%d roles agree; %s", len(live), fmt.Sprint(filepath.Base(fixtures)))
}
