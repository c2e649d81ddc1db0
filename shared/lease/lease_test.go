package lease

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

func TestMain(m *testing.M) { os.Exit(motoserver.RunTests(m)) }

func table(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	c := dynamodb.NewFromConfig(motoserver.Shared(t).AWSConfig())
	name := "lease"
	if _, err := c.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
	return c, name
}

// Eight runs ask for the lease against moto's DynamoDB: exactly one gets it. The requests go one
// at a time: DynamoDB evaluates a conditional write atomically with the write
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html),
// but moto_server does not, under parallel requests (two winners were seen on a loaded machine),
// so a parallel test would measure moto, not the lease.
func TestAcquireOnlyOne(t *testing.T) {
	c, name := table(t)
	var (
		mu  sync.Mutex
		won []string
		wg  sync.WaitGroup
	)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("run-%d", i)
			mu.Lock()
			ok, err := New(c, name, "sweep").Acquire(t.Context(), owner, time.Minute)
			mu.Unlock()
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won = append(won, owner)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 {
		t.Fatalf("owners holding the lease: %v; want exactly one", won)
	}
	// Another owner cannot release it; its owner can, and then it is free.
	l := New(c, name, "sweep")
	if err := l.Release(t.Context(), "someone-else"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := l.Acquire(t.Context(), "late", time.Minute); ok {
		t.Fatal("lease taken while held")
	}
	if err := l.Release(t.Context(), won[0]); err != nil {
		t.Fatal(err)
	}
	if ok, err := l.Acquire(t.Context(), "late", time.Minute); !ok || err != nil {
		t.Fatalf("after release: %v %v; want the lease", ok, err)
	}
}

// A lease whose holder died expires.
func TestExpiredLeaseIsTaken(t *testing.T) {
	c, name := table(t)
	now := time.Now()
	dead := New(c, name, "sweep")
	dead.Now = func() time.Time { return now.Add(-time.Hour) }
	if ok, err := dead.Acquire(t.Context(), "dead", 10*time.Minute); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := New(c, name, "sweep").Acquire(t.Context(), "next", time.Minute); !ok || err != nil {
		t.Fatalf("expired lease: %v %v; want it taken", ok, err)
	}
}
