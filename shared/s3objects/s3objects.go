// Package s3objects is the only S3 I/O: it lists and streams objects for shared/trailfiles
// (CloudTrail log files a trail delivered to a bucket). It satisfies trailfiles.Store.
package s3objects

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// API is the subset of *s3.Client used here.
type API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Store lists and opens the objects of any bucket the credentials can read.
type Store struct{ api API }

// New returns a Store over api.
func New(api API) *Store { return &Store{api: api} }

// List calls fn for every key under prefix, page by page (1,000 keys a page), in S3's
// lexical order. Only one page is held at a time.
func (s *Store) List(ctx context.Context, bucket, prefix string, fn func(key string) error) error {
	p := s3.NewListObjectsV2Paginator(s.api, &s3.ListObjectsV2Input{
		Bucket: aws.String(bucket),
		Prefix: aws.String(prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3 ListObjectsV2 s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			if err := fn(aws.ToString(o.Key)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Open streams one object. The caller closes it.
func (s *Store) Open(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("s3 GetObject s3://%s/%s: %w", bucket, key, err)
	}
	return out.Body, nil
}
