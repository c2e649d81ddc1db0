package s3objects_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/s3objects"
	"github.com/source-identity-guard/source-identity-guard/shared/trailfiles"
)

func TestMain(m *testing.M) { os.Exit(motoserver.RunTests(m)) }

func client(t *testing.T) *s3.Client {
	srv := motoserver.Shared(t)
	return s3.NewFromConfig(srv.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
}

func put(t *testing.T, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

// TestTrailFromS3 lists more than one page of objects under a trail-shaped prefix on moto's S3
// and streams every log file's records through trailfiles.
func TestTrailFromS3(t *testing.T) {
	c := client(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail")}); err != nil {
		t.Fatal(err)
	}
	const n = 1005 // more than one ListObjectsV2 page
	prefix := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/30/"
	for i := range n {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		fmt.Fprintf(zw, `{"Records":[{"eventID":"e%04d"}]}`, i)
		zw.Close()
		put(t, c, "trail", fmt.Sprintf("%sf%04d.json.gz", prefix, i), b.Bytes())
	}
	put(t, c, "trail", "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/30/d.json.gz", []byte("not a trail file"))

	r := &trailfiles.Reader{Store: s3objects.New(c)}
	files, err := r.Files(ctx, []string{"s3://trail/AWSLogs/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != n {
		t.Fatalf("%d files, want %d", len(files), n)
	}
	seen := map[string]bool{}
	err = r.Scan(ctx, files, 1, func(_ int, f trailfiles.File, _ int, rec []byte) error {
		seen[string(rec)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n || !seen[`{"eventID":"e1004"}`] {
		t.Fatalf("%d distinct records, want %d", len(seen), n)
	}
}

func TestErrorsNameTheObject(t *testing.T) {
	c := client(t)
	st := s3objects.New(c)
	_, err := st.Open(context.Background(), "no-such-bucket", "k.json")
	if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/k.json") {
		t.Fatalf("Open: %v", err)
	}
	err = st.List(context.Background(), "no-such-bucket", "p/", func(string) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/p/") {
		t.Fatalf("List: %v", err)
	}
}
