package iamrole

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

func apiErr(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg}
}

func TestMapError(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		want      error // sentinel, or nil for none
		retryable bool
	}{
		{"typed NoSuchEntity", &types.NoSuchEntityException{Message: aws.String("m")}, ErrNotFound, false},
		{"typed UnmodifiableEntity", &types.UnmodifiableEntityException{Message: aws.String("m")}, ErrUnmodifiable, false},
		{"typed MalformedPolicyDocument", &types.MalformedPolicyDocumentException{Message: aws.String("m")}, ErrMalformedPolicy, false},
		{"typed LimitExceeded", &types.LimitExceededException{Message: aws.String("m")}, ErrLimitExceeded, false},
		{"typed ServiceFailure", &types.ServiceFailureException{Message: aws.String("m")}, nil, true},
		{"typed ConcurrentModification", &types.ConcurrentModificationException{Message: aws.String("m")}, nil, true},
		{"wire NoSuchEntity", apiErr("NoSuchEntity", "m"), ErrNotFound, false},
		{"wire MalformedPolicyDocument", apiErr("MalformedPolicyDocument", "m"), ErrMalformedPolicy, false},
		{"wire AccessDenied", apiErr("AccessDenied", "m"), ErrAccessDenied, false},
		{"wire Throttling", apiErr("Throttling", "Rate exceeded"), ErrThrottled, true},
		{"wire ValidationError", apiErr("ValidationError", "m"), nil, false},
		{"wrapped in OperationError", &smithy.OperationError{ServiceID: "IAM", OperationName: "GetRole", Err: apiErr("Throttling", "m")}, ErrThrottled, true},
		{"not an API error", errors.New("boom"), nil, false},
		{"context canceled", fmt.Errorf("op: %w", context.Canceled), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mapError(tt.err)
			for _, s := range []error{ErrNotFound, ErrUnmodifiable, ErrMalformedPolicy, ErrLimitExceeded, ErrAccessDenied, ErrThrottled} {
				if errors.Is(got, s) != (s == tt.want) {
					t.Errorf("errors.Is(mapError(%v), %v) = %v", tt.err, s, errors.Is(got, s))
				}
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("mapError(%v) lost the SDK error", tt.err)
			}
			if r := Retryable(got); r != tt.retryable {
				t.Errorf("Retryable(mapError(%v)) = %v; want %v", tt.err, r, tt.retryable)
			}
		})
	}
	if Retryable(nil) {
		t.Error("Retryable(nil) = true")
	}
}

// TestErrorsFromTheWire runs a real *iam.Client against canned IAM (awsQuery XML) error
// responses, so the mapping is checked on what the SDK really returns.
func TestErrorsFromTheWire(t *testing.T) {
	tests := []struct {
		status    int
		code, msg string
		want      error
		retryable bool
	}{
		{404, "NoSuchEntity", "The role with name app cannot be found.", ErrNotFound, false},
		{400, "UnmodifiableEntity", "Cannot perform the operation on the protected role 'app' - this role is only modifiable by AWS", ErrUnmodifiable, false},
		{400, "MalformedPolicyDocument", `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/gone"`, ErrMalformedPolicy, false},
		{409, "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048", ErrLimitExceeded, false},
		{403, "AccessDenied", "User: arn:aws:sts::111122223333:assumed-role/x/y is not authorized to perform: iam:UpdateAssumeRolePolicy on resource: role app", ErrAccessDenied, false},
		{400, "Throttling", "Rate exceeded", ErrThrottled, true},
		{500, "ServiceFailure", "Internal failure", nil, true},
		{503, "ServiceUnavailable", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
					tt.code, xmlEscape(tt.msg))
			}))
			defer srv.Close()
			err := New(wireClient(srv.URL)).UpdateTrustPolicy(t.Context(), "app", []byte(`{}`))
			if err == nil {
				t.Fatal("UpdateTrustPolicy succeeded; want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v; want errors.Is %v", err, tt.want)
			}
			if tt.want != nil && !strings.HasSuffix(err.Error(), ": "+tt.msg) {
				t.Errorf("err = %q; want it to end with IAM's message %q", err, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), `update trust policy of role "app": `) {
				t.Errorf("err = %q; want it to name the operation and role", err)
			}
			if got := Retryable(err); got != tt.retryable {
				t.Errorf("Retryable(%v) = %v; want %v", err, got, tt.retryable)
			}
		})
	}
}

func TestNetworkErrorRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close() // nothing listens: connection refused
	_, err = New(wireClient(url), WithNotFoundDelays()).Get(t.Context(), "app")
	if err == nil || !Retryable(err) {
		t.Errorf("Get against a closed port: err = %v, Retryable = %v; want a retryable error", err, Retryable(err))
	}
}

func wireClient(endpoint string) *iam.Client {
	return iam.New(iam.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
	return r.Replace(s)
}
