package awsconfig

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/source-identity-guard/source-identity-guard/shared/apicalls"
)

func TestNewRetryer(t *testing.T) {
	r := NewRetryer(7)
	if _, ok := r.(*retry.AdaptiveMode); !ok {
		t.Fatalf("NewRetryer = %T; want *retry.AdaptiveMode", r)
	}
	if r.MaxAttempts() != 7 {
		t.Errorf("MaxAttempts() = %d; want 7", r.MaxAttempts())
	}
	throttle := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	if !r.IsErrorRetryable(throttle) {
		t.Error("IAM's Throttling is not retryable")
	}
	if r.IsErrorRetryable(&smithy.GenericAPIError{Code: "LimitExceeded"}) {
		t.Error("IAM's LimitExceeded (a size quota) is retryable")
	}
	// No retry quota: many failed attempts in a row still get a retry token.
	for i := range 1000 {
		if _, err := r.GetRetryToken(context.Background(), errors.New("connection reset")); err != nil {
			t.Fatalf("GetRetryToken #%d: %v", i+1, err)
		}
	}
}

func TestLoad(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_PROFILE", "")
	c := &apicalls.Counter{}
	cfg, err := Load(t.Context(), Options{Counter: c, MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != DefaultRegion {
		t.Errorf("Region = %q; want %q", cfg.Region, DefaultRegion)
	}
	if got := cfg.Retryer().MaxAttempts(); got != 3 {
		t.Errorf("retryer MaxAttempts = %d; want 3", got)
	}
	if len(cfg.APIOptions) == 0 {
		t.Error("the counter is not attached")
	}
}
