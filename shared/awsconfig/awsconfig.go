// Package awsconfig loads the aws.Config that the sweep function and `sidguard scan` share: the
// default credential chain (environment, profiles, SSO, the Lambda role), AWS_ENDPOINT_URL
// honoured, us-east-1 when no region is configured (IAM's home region), the SDK's adaptive
// retry mode so that throttling slows callers down instead of failing them, and an optional
// per-operation call counter.
package awsconfig

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/source-identity-guard/source-identity-guard/shared/apicalls"
)

// DefaultRegion is used when neither the environment nor a profile sets a region.
const DefaultRegion = "us-east-1"

// DefaultMaxAttempts bounds the attempts of one call (the first one included).
const DefaultMaxAttempts = 10

// MaxBackoff is the longest wait between two attempts.
const MaxBackoff = 20 * time.Second

// Options tune Load. The zero value is usable.
type Options struct {
	MaxAttempts int               // DefaultMaxAttempts when 0
	Counter     *apicalls.Counter // counts every attempt by operation when set
	// Extra load options, e.g. config.WithSharedConfigProfile.
	Extra []func(*config.LoadOptions) error
}

// NewRetryer returns the adaptive retryer: client-side rate limiting that backs off on throttle
// errors, exponential backoff, at most maxAttempts attempts. The standard retryer's retry quota
// (a token bucket that refuses retries after many failures) is turned off: a long sweep meets
// many throttles, and each must be retried, not dropped.
func NewRetryer(maxAttempts int) aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
			so.MaxBackoff = MaxBackoff
			so.RateLimiter = ratelimit.None
		})
	})
}

// Load loads the configuration. Each client built from it gets its own retryer.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	attempts := o.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	opts := []func(*config.LoadOptions) error{
		config.WithDefaultRegion(DefaultRegion),
		config.WithRetryer(func() aws.Retryer { return NewRetryer(attempts) }),
	}
	if o.Counter != nil {
		opts = append(opts, config.WithAPIOptions(o.Counter.APIOptions()))
	}
	opts = append(opts, o.Extra...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}
