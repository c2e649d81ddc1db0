// Package ledger is the only DynamoDB I/O of the readiness evidence: it keeps each
// observation (one role assumption or console switch-role, as shared/readiness derives it
// from a CloudTrail record) as one item, and reads them back into a readiness.Aggregator, so
// the live path gives exactly the answers of the offline path (same Observe, same Aggregator).
//
// Item: pk "ROLE#partition:account:name" (lower-cased name), sk "OBS#eventTime#eventID".
// Writing the same event twice (EventBridge delivers at least once) overwrites one item, so
// retries never count twice. expiresAt (epoch seconds) is the table's TTL attribute: evidence
// older than the retention disappears by itself (DynamoDB deletes expired items within days,
// so readers still filter by the window:
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html).
package ledger

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
)

// API is the subset of *dynamodb.Client used here.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	// promotion records (promotion.go)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Ledger writes and reads observations in one table.
type Ledger struct {
	api       API
	table     string
	retention time.Duration
}

// DefaultRetention keeps evidence for 90 days (the longest window worth judging on).
const DefaultRetention = 90 * 24 * time.Hour

// New returns a ledger on table; retention 0 means DefaultRetention.
func New(api API, table string, retention time.Duration) *Ledger {
	if retention <= 0 {
		retention = DefaultRetention
	}
	return &Ledger{api: api, table: table, retention: retention}
}

func roleKey(r readiness.Role) string {
	k := r.Key()
	return "ROLE#" + k.Partition + ":" + k.Account + ":" + k.Name
}

// Put stores one observation.
func (l *Ledger) Put(ctx context.Context, o readiness.Observation) error {
	id := o.EventID
	if id == "" {
		return fmt.Errorf("ledger put %s: observation without an event id", o.Role.ARN)
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	item := map[string]types.AttributeValue{
		"pk":             s(roleKey(o.Role)),
		"sk":             s("OBS#" + o.Time.UTC().Format(time.RFC3339) + "#" + id),
		"kind":           s(string(o.Kind)),
		"roleArn":        s(o.Role.ARN),
		"partition":      s(o.Role.Partition),
		"account":        s(o.Role.Account),
		"roleName":       s(o.Role.Name),
		"pathKnown":      &types.AttributeValueMemberBOOL{Value: o.Role.PathKnown},
		"principal":      s(o.Caller.Principal),
		"callerType":     s(o.Caller.Type),
		"principalId":    s(o.Caller.PrincipalID),
		"time":           s(o.Time.UTC().Format(time.RFC3339)),
		"sourceIdentity": s(o.SourceIdentity),
		"from":           s(o.From),
		"userAgent":      s(o.UserAgent),
		"client":         s(o.Client),
		"console":        &types.AttributeValueMemberBOOL{Value: o.Console},
		"eventId":        s(id),
		"region":         s(o.Region),
		"expiresAt":      &types.AttributeValueMemberN{Value: strconv.FormatInt(o.Time.Add(l.retention).Unix(), 10)},
	}
	for k, v := range item { // DynamoDB refuses empty strings in key attributes only; keep items small
		if sv, ok := v.(*types.AttributeValueMemberS); ok && sv.Value == "" && k != "pk" && k != "sk" {
			delete(item, k)
		}
	}
	if _, err := l.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(l.table), Item: item}); err != nil {
		return fmt.Errorf("dynamodb PutItem %s (role %s, event %s): %w", l.table, o.Role.ARN, id, err)
	}
	return nil
}

// Observations calls fn for every observation in the table, page by page.
func (l *Ledger) Observations(ctx context.Context, fn func(readiness.Observation) error) error {
	p := dynamodb.NewScanPaginator(l.api, &dynamodb.ScanInput{TableName: aws.String(l.table)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("dynamodb Scan %s: %w", l.table, err)
		}
		for _, it := range page.Items {
			if isPromotionItem(it) { // rollout state, not evidence
				continue
			}
			o, err := decode(it)
			if err != nil {
				return fmt.Errorf("ledger %s: %w", l.table, err)
			}
			if err := fn(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// Aggregate reads every observation into an aggregator over w.
func (l *Ledger) Aggregate(ctx context.Context, w readiness.Window) (*readiness.Aggregator, error) {
	agg := readiness.NewAggregator(w)
	err := l.Observations(ctx, func(o readiness.Observation) error {
		agg.Add(o)
		return nil
	})
	return agg, err
}

func decode(it map[string]types.AttributeValue) (readiness.Observation, error) {
	str := func(k string) string {
		if v, ok := it[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	boolean := func(k string) bool {
		v, ok := it[k].(*types.AttributeValueMemberBOOL)
		return ok && v.Value
	}
	if !strings.HasPrefix(str("pk"), "ROLE#") {
		return readiness.Observation{}, fmt.Errorf("item %q/%q is not an observation", str("pk"), str("sk"))
	}
	t, err := time.Parse(time.RFC3339, str("time"))
	if err != nil {
		return readiness.Observation{}, fmt.Errorf("item %q/%q: time: %w", str("pk"), str("sk"), err)
	}
	return readiness.Observation{
		Kind:           readiness.Kind(str("kind")),
		Role:           readiness.Role{ARN: str("roleArn"), Partition: str("partition"), Account: str("account"), Name: str("roleName"), PathKnown: boolean("pathKnown")},
		Caller:         readiness.Caller{Principal: str("principal"), Type: str("callerType"), PrincipalID: str("principalId")},
		Time:           t.UTC(),
		SourceIdentity: str("sourceIdentity"),
		From:           str("from"),
		UserAgent:      str("userAgent"),
		Client:         str("client"),
		Console:        boolean("console"),
		EventID:        str("eventId"),
		Region:         str("region"),
	}, nil
}
