package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
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
