package ledger_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
)

func TestMain(m *testing.M) { os.Exit(motoserver.RunTests(m)) }

// CreateTable makes the ledger table as the template does (pk/sk strings, on demand, TTL).
func CreateTable(t *testing.T, c *dynamodb.Client, name string) {
	t.Helper()
	ctx := context.Background()
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTripAndRetries(t *testing.T) {
	srv := motoserver.Shared(t)
	c := dynamodb.NewFromConfig(srv.AWSConfig())
	CreateTable(t, c, "evidence")
	l := ledger.New(c, "evidence", 0)
	ctx := context.Background()
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	role, _ := readiness.RoleFromARN("arn:aws:iam::111122223333:role/ci/deployer")
	obs := []readiness.Observation{
		{Kind: readiness.KindAssumption, Role: role, Caller: readiness.Caller{Principal: "arn:aws:iam::111122223333:user/alice", Type: "IAMUser"},
			Time: end.Add(-time.Hour), SourceIdentity: "alice", From: "request", UserAgent: "aws-cli/2", Client: "aws-cli", EventID: "e1", Region: "us-east-1"},
		{Kind: readiness.KindAssumption, Role: role, Caller: readiness.Caller{Principal: "arn:aws:iam::444455556666:root", Type: "AWSAccount", PrincipalID: "AIDAX"},
			Time: end.Add(-2 * time.Hour), UserAgent: "aws-cli/2", Client: "aws-cli", EventID: "e2"},
	}
	want := readiness.NewAggregator(readiness.NewWindow(end, 14))
	for _, o := range obs {
		want.Add(o)
		for range 2 { // a redelivered event is stored once
			if err := l.Put(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := l.Aggregate(ctx, readiness.NewWindow(end, 14))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Results(), got.Results()); diff != "" {
		t.Fatalf("results from the ledger (-direct +ledger):\n%s", diff)
	}
	out, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("evidence")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 2 {
		t.Fatalf("%d items, want 2", len(out.Items))
	}
	exp := out.Items[0]["expiresAt"].(*types.AttributeValueMemberN).Value
	if exp == "" {
		t.Fatal("no expiresAt")
	}
}

func TestErrorsNameTheTable(t *testing.T) {
	srv := motoserver.Shared(t)
	l := ledger.New(dynamodb.NewFromConfig(srv.AWSConfig()), "missing", 0)
	role, _ := readiness.RoleFromARN("arn:aws:iam::111122223333:role/r")
	err := l.Put(context.Background(), readiness.Observation{Role: role, EventID: "e", Time: time.Now()})
	if err == nil || !contains(err.Error(), "missing") {
		t.Fatalf("Put: %v", err)
	}
	if _, err := l.Aggregate(context.Background(), readiness.NewWindow(time.Now(), 1)); err == nil || !contains(err.Error(), "missing") {
		t.Fatalf("Aggregate: %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
