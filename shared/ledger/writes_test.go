package ledger_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
)

// The write log against moto's DynamoDB: writes come back per role, from since on, oldest
// first, across a sub-second boundary (string order is time order), with a 48 h TTL.
func TestWritesRoundTrip(t *testing.T) {
	srv := motoserver.Shared(t)
	c := dynamodb.NewFromConfig(srv.AWSConfig())
	CreateTable(t, c, "writes")
	l := ledger.NewWrites(c, "writes", 0)
	ctx := context.Background()
	const app, other = "arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:role/other"
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	times := []time.Time{base, base.Add(900 * time.Millisecond), base.Add(time.Second), base.Add(10 * time.Second), base.Add(25 * time.Hour)}
	for i, at := range times {
		if err := l.RecordWrite(ctx, guard.Write{RoleARN: app, At: at, By: "enforce", EventID: "e" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.RecordWrite(ctx, guard.Write{RoleARN: other, At: base.Add(time.Second), By: "sweep"}); err != nil {
		t.Fatal(err)
	}
	got, err := l.Writes(ctx, app, base.Add(900*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(times[1:], got); diff != "" {
		t.Errorf("writes since 09:00:00.9 (-want +got):\n%s", diff)
	}
	if got, err := l.Writes(ctx, other, base); err != nil || len(got) != 1 {
		t.Errorf("writes of the other role = %v, %v; want one", got, err)
	}
	if got, err := l.Writes(ctx, "arn:aws:iam::111122223333:role/none", base); err != nil || len(got) != 0 {
		t.Errorf("writes of a role never written = %v, %v; want none", got, err)
	}
	out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("writes"),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "WRITE#" + other}}})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("raw item: %v, %v", out, err)
	}
	exp, _ := strconv.ParseInt(out.Items[0]["expiresAt"].(*types.AttributeValueMemberN).Value, 10, 64)
	if want := base.Add(time.Second + 48*time.Hour).Unix(); exp != want {
		t.Errorf("expiresAt = %d; want %d (48 h after the write)", exp, want)
	}
	if by := out.Items[0]["by"].(*types.AttributeValueMemberS).Value; by != "sweep" {
		t.Errorf("by = %q", by)
	}
}

func TestWritesErrorsNameTheTable(t *testing.T) {
	srv := motoserver.Shared(t)
	l := ledger.NewWrites(dynamodb.NewFromConfig(srv.AWSConfig()), "no-such-writes", 0)
	ctx := context.Background()
	if err := l.RecordWrite(ctx, guard.Write{RoleARN: "arn:aws:iam::111122223333:role/app", At: time.Now()}); err == nil || !contains(err.Error(), "no-such-writes") {
		t.Errorf("RecordWrite: %v", err)
	}
	if _, err := l.Writes(ctx, "arn:aws:iam::111122223333:role/app", time.Now()); err == nil || !contains(err.Error(), "no-such-writes") {
		t.Errorf("Writes: %v", err)
	}
	if err := l.RecordWrite(ctx, guard.Write{At: time.Now()}); err == nil {
		t.Errorf("RecordWrite without a role: no error")
	}
}
