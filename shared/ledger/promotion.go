package ledger

// Promotion records: per-role rollout state in the same table as the evidence.
//
// Items: pk "PROMOTION", sk "ROLE#" + guard.PromotionKey(roleARN) (partition:account:name,
// lower-cased), one per promoted role; and pk "PROMOTION", sk "SINCE": when the evidence began
// (written once, by the first evaluation, with a conditional put). One partition holds them all,
// so the sweep reads every promotion with one Query (pages of 1 MB) and never scans the
// evidence, and the event path reads one role with one GetItem. They carry no expiresAt: TTL
// never deletes a promotion. The evidence reader (Observations) skips them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/promotion"
)

const (
	promotionPK = "PROMOTION"
	roleSK      = "ROLE#"
	sinceSK     = "SINCE"
)

func isPromotionItem(it map[string]types.AttributeValue) bool {
	v, ok := it["pk"].(*types.AttributeValueMemberS)
	return ok && v.Value == promotionPK
}

func promotionKey(roleARN string) (map[string]types.AttributeValue, error) {
	k := guard.PromotionKey(roleARN)
	if k == "" {
		return nil, fmt.Errorf("%q is not an IAM role ARN", roleARN)
	}
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: promotionPK},
		"sk": &types.AttributeValueMemberS{Value: roleSK + k},
	}, nil
}

// PutPromotion records a role's promotion (overwriting an earlier one of the same role).
func (l *Ledger) PutPromotion(ctx context.Context, r promotion.Record) error {
	item, err := promotionKey(r.RoleARN)
	if err != nil {
		return fmt.Errorf("ledger put promotion: %w", err)
	}
	ev, err := json.Marshal(r.Evidence)
	if err != nil {
		return fmt.Errorf("ledger put promotion %s: encode evidence: %w", r.RoleARN, err)
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	item["kind"] = s("promotion")
	item["roleArn"] = s(r.RoleARN)
	item["state"] = s(r.State)
	item["at"] = s(r.At.UTC().Format(time.RFC3339))
	item["by"] = s(r.By)
	item["forced"] = &types.AttributeValueMemberBOOL{Value: r.Forced}
	item["evidence"] = s(string(ev))
	if _, err := l.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(l.table), Item: item}); err != nil {
		return fmt.Errorf("dynamodb PutItem %s (promotion of %s): %w", l.table, r.RoleARN, err)
	}
	return nil
}

// Promotion reads one role's promotion record (one GetItem, strongly consistent); ok false
// when there is none.
func (l *Ledger) Promotion(ctx context.Context, roleARN string) (promotion.Record, bool, error) {
	key, err := promotionKey(roleARN)
	if err != nil {
		return promotion.Record{}, false, fmt.Errorf("ledger get promotion: %w", err)
	}
	out, err := l.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return promotion.Record{}, false, fmt.Errorf("dynamodb GetItem %s (promotion of %s): %w", l.table, roleARN, err)
	}
	if len(out.Item) == 0 {
		return promotion.Record{}, false, nil
	}
	r, err := decodePromotion(out.Item)
	if err != nil {
		return promotion.Record{}, false, fmt.Errorf("ledger %s: %w", l.table, err)
	}
	return r, true, nil
}

// Promoted reports whether the role was promoted to require (guard.PromotionStore).
func (l *Ledger) Promoted(ctx context.Context, roleARN string) (bool, error) {
	r, ok, err := l.Promotion(ctx, roleARN)
	return ok && r.State == promotion.StateRequire, err
}

// Promotions returns every promotion record (Query on the promotion partition, all pages).
func (l *Ledger) Promotions(ctx context.Context) ([]promotion.Record, error) {
	p := dynamodb.NewQueryPaginator(l.api, &dynamodb.QueryInput{
		TableName:              aws.String(l.table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :role)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: promotionPK}, ":role": &types.AttributeValueMemberS{Value: roleSK},
		},
		ConsistentRead: aws.Bool(true),
	})
	var out []promotion.Record
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamodb Query %s (promotions): %w", l.table, err)
		}
		for _, it := range page.Items {
			r, err := decodePromotion(it)
			if err != nil {
				return nil, fmt.Errorf("ledger %s: %w", l.table, err)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// AllPromotions is the set of promoted roles (sweep.PromotionSource).
func (l *Ledger) AllPromotions(ctx context.Context) (guard.Promotions, error) {
	recs, err := l.Promotions(ctx)
	if err != nil {
		return nil, err
	}
	set := guard.Promotions{}
	for _, r := range recs {
		if r.State == promotion.StateRequire {
			set[guard.PromotionKey(r.RoleARN)] = true
		}
	}
	return set, nil
}

// Since returns when evidence collection began: the time recorded by the first call (now,
// written with attribute_not_exists so that a later call never moves it).
func (l *Ledger) Since(ctx context.Context, now time.Time) (time.Time, error) {
	key := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: promotionPK}, "sk": &types.AttributeValueMemberS{Value: sinceSK},
	}
	out, err := l.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return time.Time{}, fmt.Errorf("dynamodb GetItem %s (evidence start): %w", l.table, err)
	}
	if v, ok := out.Item["at"].(*types.AttributeValueMemberS); ok {
		t, err := time.Parse(time.RFC3339, v.Value)
		if err != nil {
			return time.Time{}, fmt.Errorf("ledger %s: evidence start %q: %w", l.table, v.Value, err)
		}
		return t.UTC(), nil
	}
	item := map[string]types.AttributeValue{"pk": key["pk"], "sk": key["sk"], "kind": &types.AttributeValueMemberS{Value: "since"},
		"at": &types.AttributeValueMemberS{Value: now.UTC().Format(time.RFC3339)}}
	_, err = l.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(l.table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	var cond *types.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		return l.Since(ctx, now) // another run wrote it first
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("dynamodb PutItem %s (evidence start): %w", l.table, err)
	}
	return now.UTC().Truncate(time.Second), nil
}

// EvidenceSince reads when evidence collection began without recording it (zero when unknown).
func (l *Ledger) EvidenceSince(ctx context.Context) (time.Time, error) {
	key := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: promotionPK}, "sk": &types.AttributeValueMemberS{Value: sinceSK},
	}
	out, err := l.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return time.Time{}, fmt.Errorf("dynamodb GetItem %s (evidence start): %w", l.table, err)
	}
	v, ok := out.Item["at"].(*types.AttributeValueMemberS)
	if !ok {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v.Value)
	if err != nil {
		return time.Time{}, fmt.Errorf("ledger %s: evidence start %q: %w", l.table, v.Value, err)
	}
	return t.UTC(), nil
}

func decodePromotion(it map[string]types.AttributeValue) (promotion.Record, error) {
	str := func(k string) string {
		if v, ok := it[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	r := promotion.Record{RoleARN: str("roleArn"), State: str("state"), By: str("by")}
	if v, ok := it["forced"].(*types.AttributeValueMemberBOOL); ok {
		r.Forced = v.Value
	}
	t, err := time.Parse(time.RFC3339, str("at"))
	if err != nil {
		return r, fmt.Errorf("promotion item %q: at: %w", str("sk"), err)
	}
	r.At = t.UTC()
	if ev := str("evidence"); ev != "" {
		if err := json.Unmarshal([]byte(ev), &r.Evidence); err != nil {
			return r, fmt.Errorf("promotion item %q: evidence: %w", str("sk"), err)
		}
	}
	if guard.PromotionKey(r.RoleARN) == "" || roleSK+guard.PromotionKey(r.RoleARN) != str("sk") {
		return r, fmt.Errorf("promotion item %q: roleArn %q does not match its key", str("sk"), r.RoleARN)
	}
	return r, nil
}
