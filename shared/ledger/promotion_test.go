package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/promotion"
	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
)

// Promotion records live in the evidence table without disturbing the evidence, carry no
// TTL, are read one by one (GetItem) and all at once (Query), and the evidence start is
// written once.
func TestPromotionRecords(t *testing.T) {
	srv := motoserver.Shared(t)
	c := dynamodb.NewFromConfig(srv.AWSConfig())
	CreateTable(t, c, "promotions")
	l := ledger.New(c, "promotions", 0)
	ctx := context.Background()
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	role, _ := readiness.RoleFromARN("arn:aws:iam::111122223333:role/ci/deployer")
	obs := readiness.Observation{Kind: readiness.KindAssumption, Role: role, Caller: readiness.Caller{Principal: "arn:aws:iam::111122223333:user/alice", Type: "IAMUser"},
		Time: end.Add(-time.Hour), SourceIdentity: "alice", EventID: "e1"}
	if err := l.Put(ctx, obs); err != nil {
		t.Fatal(err)
	}
	rec := promotion.Record{RoleARN: role.ARN, State: promotion.StateRequire, At: end, By: "arn:aws:iam::111122223333:user/admin", Forced: true,
		Evidence: promotion.Evidence{Assumptions: 1, CallersWithoutSourceIdentity: []string{}, WindowStart: "2026-11-17T00:00:00Z", WindowEnd: "2026-12-01T00:00:00Z", WindowDays: 14}}
	if err := l.PutPromotion(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := l.PutPromotion(ctx, promotion.Record{RoleARN: "not-an-arn"}); err == nil {
		t.Fatal("a record without a role ARN was written")
	}

	// The evidence reader ignores the promotion record.
	agg, err := l.Aggregate(ctx, readiness.NewWindow(end, 14))
	if err != nil {
		t.Fatal(err)
	}
	if rs := agg.Results(); len(rs) != 1 || rs[0].Assumptions != 1 {
		t.Fatalf("evidence: %+v", rs)
	}

	got, ok, err := l.Promotion(ctx, "arn:aws:iam::111122223333:role/DEPLOYER") // path and case do not matter
	if err != nil || !ok {
		t.Fatalf("Promotion: %v %v", ok, err)
	}
	if diff := cmp.Diff(rec, got); diff != "" {
		t.Fatalf("record (-put +got):\n%s", diff)
	}
	if ok, err := l.Promoted(ctx, "arn:aws:iam::111122223333:role/other"); ok || err != nil {
		t.Fatalf("other role promoted: %v %v", ok, err)
	}
	set, err := l.AllPromotions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(guard.Promotions{"aws:111122223333:deployer": true}, set); diff != "" {
		t.Fatalf("promotions (-want +got):\n%s", diff)
	}

	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("promotions"), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "PROMOTION"}, "sk": &types.AttributeValueMemberS{Value: "ROLE#aws:111122223333:deployer"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ttl := out.Item["expiresAt"]; ttl {
		t.Fatal("a promotion record carries the TTL attribute")
	}

	first, err := l.Since(ctx, end)
	if err != nil || !first.Equal(end) {
		t.Fatalf("Since = %v, %v", first, err)
	}
	again, err := l.Since(ctx, end.Add(48*time.Hour))
	if err != nil || !again.Equal(end) {
		t.Fatalf("Since moved: %v, %v", again, err)
	}
	if s, err := l.EvidenceSince(ctx); err != nil || !s.Equal(end) {
		t.Fatalf("EvidenceSince = %v, %v", s, err)
	}
}
