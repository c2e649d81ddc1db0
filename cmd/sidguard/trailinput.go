package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/source-identity-guard/source-identity-guard/shared/awsconfig"
	"github.com/source-identity-guard/source-identity-guard/shared/s3objects"
	"github.com/source-identity-guard/source-identity-guard/shared/trailfiles"
	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
)

// trailInput resolves the PATH arguments of readiness and trail into CloudTrail log files.
// An S3 client is made only when a path is an s3:// URL (default credential chain and region;
// path-style addressing when AWS_ENDPOINT_URL points somewhere else than AWS, e.g. a local
// emulator).
func trailInput(ctx context.Context, paths []string) (*trailfiles.Reader, []trailfiles.File, error) {
	r := &trailfiles.Reader{}
	for _, p := range paths {
		if strings.HasPrefix(p, "s3://") {
			cfg, err := awsconfig.Load(ctx, awsconfig.Options{})
			if err != nil {
				return nil, nil, err
			}
			custom := os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
			r.Store = s3objects.New(s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = custom }))
			break
		}
	}
	files, err := r.Files(ctx, paths)
	return r, files, err
}

// trailWorkers is how many files are read at once.
func trailWorkers() int { return max(1, runtime.GOMAXPROCS(0)) }

// decoders holds one record decoder per worker.
type decoders []trailrecord.Decoder

func newDecoders(n int) decoders { return make(decoders, n) }

// usageError reports a usage problem found after the flags were parsed, in the same form as
// command.usageError (which a command's own setup cannot reach without an initialization
// cycle).
func usageError(w io.Writer, name, args, msg string) int {
	fmt.Fprintf(w, "sidguard %s: %s\n", name, msg)
	fmt.Fprintf(w, "usage: sidguard %s %s\n", name, args)
	fmt.Fprintf(w, "Run \"sidguard help %s\" for details.\n", name)
	return exitUsage
}
