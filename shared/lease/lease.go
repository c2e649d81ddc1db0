// Package lease is a mutual-exclusion lease in one DynamoDB item: the sweep takes it before a
// run and gives it back after, so that two sweeps never run at once without reserved
// concurrency. It is the only DynamoDB I/O of the project.
//
// Acquire is one conditional PutItem: it succeeds when the item is absent or its lease has
// expired (an invocation that died without Release holds it no longer than its lease).
// Release is a DeleteItem conditioned on the owner, so a run whose lease expired cannot free a
// lease another run holds. DynamoDB conditional writes are strongly consistent
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate).
package lease

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// API is the part of *dynamodb.Client a Lease uses.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Lease is one named lease in a table whose partition key is the string attribute "id".
type Lease struct {
	api   API
	table string
	id    string
	Now   func() time.Time // time.Now when nil
}

// New returns the lease id in table.
func New(api API, table, id string) *Lease { return &Lease{api: api, table: table, id: id} }

func (l *Lease) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}

// Acquire takes the lease for owner until now+d. It returns false (and no error) when another
// owner holds an unexpired lease.
func (l *Lease) Acquire(ctx context.Context, owner string, d time.Duration) (bool, error) {
	now := l.now()
	_, err := l.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(l.table),
		Item: map[string]types.AttributeValue{
			"id":      &types.AttributeValueMemberS{Value: l.id},
			"owner":   &types.AttributeValueMemberS{Value: owner},
			"expires": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(d).Unix(), 10)},
		},
		ConditionExpression:       aws.String("attribute_not_exists(id) OR expires < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}},
	})
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquire lease %q in table %s: %w", l.id, l.table, err)
	}
	return true, nil
}

// Release gives the lease back if owner still holds it.
func (l *Lease) Release(ctx context.Context, owner string) error {
	_, err := l.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(l.table),
		Key:                       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: l.id}},
		ConditionExpression:       aws.String("#o = :owner"),
		ExpressionAttributeNames:  map[string]string{"#o": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: owner}},
	})
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return nil // expired and taken by another run: not ours to free
	}
	if err != nil {
		return fmt.Errorf("release lease %q in table %s: %w", l.id, l.table, err)
	}
	return nil
}
