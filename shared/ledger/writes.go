package ledger

// The guard's write log (IaC fights, shared/guard/fight.go): one item per trust-policy write
// the guard made, in a table of its own (the template's TrustPolicyWritesTable), not in the
// evidence table. Reasons: the evidence reader scans its whole table and would have to skip
// these items; the functions that write roles need no access to the evidence (nor the
// collector to this); and the items' life (48 h) has nothing to do with the evidence's.
//
// Item: pk "WRITE#" + role ARN, sk the write's time as a fixed-width UTC timestamp (so that
// string order is time order) + "#" + who + "#" + event id; at (RFC 3339, nanoseconds),
// by, eventId, expiresAt (epoch seconds, the table's TTL attribute: DynamoDB deletes expired
// items within days, so reads still filter by time:
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html).
// Writes reads with a strongly consistent Query on pk and sk >= since, so a write recorded a
// moment earlier by another instance is counted
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html).

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
)

// WritesAPI is the subset of *dynamodb.Client the write log uses.
type WritesAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Writes is the guard's write log on one table. It satisfies guard.WriteLog.
type Writes struct {
	api       WritesAPI
	table     string
	retention time.Duration
}

// DefaultWritesRetention keeps a write 48 h: twice the fight window.
const DefaultWritesRetention = 2 * guard.FightWindow

// sortTime formats t so that string order is time order (RFC3339Nano drops trailing zeros).
const sortTime = "2006-01-02T15:04:05.000000000Z"

// NewWrites returns the write log on table; retention 0 means DefaultWritesRetention.
func NewWrites(api WritesAPI, table string, retention time.Duration) *Writes {
	if retention <= 0 {
		retention = DefaultWritesRetention
	}
	return &Writes{api: api, table: table, retention: retention}
}

var _ guard.WriteLog = (*Writes)(nil)

// RecordWrite stores one write.
func (l *Writes) RecordWrite(ctx context.Context, w guard.Write) error {
	if w.RoleARN == "" || w.At.IsZero() {
		return fmt.Errorf("write log %s: a write needs a role and a time (%+v)", l.table, w)
	}
	at := w.At.UTC()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	item := map[string]types.AttributeValue{
		"pk":        s("WRITE#" + w.RoleARN),
		"sk":        s(at.Format(sortTime) + "#" + w.By + "#" + w.EventID),
		"roleArn":   s(w.RoleARN),
		"at":        s(at.Format(time.RFC3339Nano)),
		"expiresAt": &types.AttributeValueMemberN{Value: strconv.FormatInt(at.Add(l.retention).Unix(), 10)},
	}
	if w.By != "" {
		item["by"] = s(w.By)
	}
	if w.EventID != "" {
		item["eventId"] = s(w.EventID)
	}
	if _, err := l.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(l.table), Item: item}); err != nil {
		return fmt.Errorf("dynamodb PutItem %s (write of role %s): %w", l.table, w.RoleARN, err)
	}
	return nil
}

// Writes returns the times of the role's writes at or after since, oldest first.
func (l *Writes) Writes(ctx context.Context, roleARN string, since time.Time) ([]time.Time, error) {
	p := dynamodb.NewQueryPaginator(l.api, &dynamodb.QueryInput{
		TableName:              aws.String(l.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk >= :since"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: "WRITE#" + roleARN},
			":since": &types.AttributeValueMemberS{Value: since.UTC().Format(sortTime)},
		},
		ProjectionExpression:     aws.String("#at"),
		ExpressionAttributeNames: map[string]string{"#at": "at"},
		ConsistentRead:           aws.Bool(true),
	})
	var out []time.Time
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamodb Query %s (writes of role %s): %w", l.table, roleARN, err)
		}
		for _, it := range page.Items {
			v, _ := it["at"].(*types.AttributeValueMemberS)
			if v == nil {
				return nil, fmt.Errorf("write log %s: role %s: item without a time", l.table, roleARN)
			}
			t, err := time.Parse(time.RFC3339Nano, v.Value)
			if err != nil {
				return nil, fmt.Errorf("write log %s: role %s: time %q: %w", l.table, roleARN, v.Value, err)
			}
			if !t.Before(since) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}
