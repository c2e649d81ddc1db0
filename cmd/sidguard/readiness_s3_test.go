package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
	"github.com/source-identity-guard/source-identity-guard/shared/trailfiles"
	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
)

// TestEvidenceFromS3 uploads the fixture trails to moto's S3 and checks that readiness and
// trail read s3:// prefixes exactly as they read the local folder (file names aside).
func TestEvidenceFromS3(t *testing.T) {
	srv := motoserver.Start(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	c := s3.NewFromConfig(srv.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail")}); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(trailFixtures, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(strings.TrimPrefix(p, trailFixtures+string(filepath.Separator)))
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail"), Key: aws.String(key), Body: bytes.NewReader(body)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"readiness", "--format", "json", "--now", "2026-12-01T00:00:00Z"},
		{"trail", "--format", "json", "--source-identity", "alice"},
	} {
		local, _, localExit := runCase(t, cliCase{args: append(append([]string{}, args...), trailFixtures)})
		remote, stderr, remoteExit := runCase(t, cliCase{args: append(append([]string{}, args...), "s3://trail/AWSLogs/")})
		if remoteExit != localExit {
			t.Fatalf("%s: exit %d from S3, %d from the folder\n%s", args[0], remoteExit, localExit, stderr)
		}
		remote = strings.ReplaceAll(remote, "s3://trail/", trailFixtures+"/")
		if diff := cmp.Diff(local, remote); diff != "" {
			t.Errorf("%s: S3 and folder outputs differ (-folder +s3):\n%s", args[0], diff)
		}
	}
}

// TestReadinessFromLedger fills a ledger table on moto's DynamoDB with the observations of the
// fixture trails (as the Collect function would) and checks --ledger prints what the folder
// gives.
func TestReadinessFromLedger(t *testing.T) {
	srv := motoserver.Start(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := context.Background()
	db := dynamodb.NewFromConfig(srv.AWSConfig())
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("evidence"),
		BillingMode:          dtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dtypes.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: dtypes.ScalarAttributeTypeS}},
		KeySchema:            []dtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dtypes.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: dtypes.KeyTypeRange}},
	}); err != nil {
		t.Fatal(err)
	}
	l := ledger.New(db, "evidence", 0)
	r := &trailfiles.Reader{}
	files, err := r.Files(ctx, []string{trailFixtures})
	if err != nil {
		t.Fatal(err)
	}
	var dec trailrecord.Decoder
	if err := r.Scan(ctx, files, 1, func(_ int, _ trailfiles.File, _ int, raw []byte) error {
		rec, err := dec.Decode(raw)
		if err != nil {
			return err
		}
		if o, skip := readiness.Observe(rec); skip == readiness.SkipNone {
			return l.Put(ctx, o)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	args := []string{"readiness", "--format", "json", "--now", "2026-12-01T00:00:00Z"}
	local, _, localExit := runCase(t, cliCase{args: append(append([]string{}, args...), trailFixtures)})
	live, stderr, liveExit := runCase(t, cliCase{args: append(append([]string{}, args...), "--ledger", "evidence")})
	if liveExit != localExit {
		t.Fatalf("exit %d from the ledger, %d from the folder\n%s", liveExit, localExit, stderr)
	}
	if diff := cmp.Diff(local, live); diff != "" {
		t.Errorf("ledger and folder outputs differ (-folder +ledger):\n%s", diff)
	}
	if _, stderr, exit := runCase(t, cliCase{args: append(append([]string{}, args...), "--ledger", "evidence", trailFixtures)}); exit != exitUsage {
		t.Errorf("--ledger with PATHs: exit %d\n%s", exit, stderr)
	}
}
