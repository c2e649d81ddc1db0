package faultproxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

const listRolesXML = `<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListRolesResult><IsTruncated>false</IsTruncated><Roles/></ListRolesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListRolesResponse>`

// backend answers IAM ListRoles and EventBridge PutEvents and counts what reached it.
func backend(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Amz-Target") != "" {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"e"}]}`)
			return
		}
		if !strings.Contains(string(body), "Action=ListRoles") {
			t.Errorf("backend got %q", body)
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, listRolesXML)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func config(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func TestThrottlesEveryNthCandidate(t *testing.T) {
	tests := []struct {
		name          string
		opts          Options
		iamCalls      int
		wantThrottled int
	}{
		{"every third IAM call", Options{Services: []string{"iam"}, Every: 3}, 9, 3},
		{"every call", Options{Services: []string{"iam"}, Every: 1}, 4, 4},
		{"disabled", Options{Services: []string{"iam"}, Every: 0}, 4, 0},
		{"other service only", Options{Services: []string{"events"}, Every: 1}, 4, 0},
		{"other operation only", Options{Services: []string{"iam"}, Every: 1, Operations: []string{"UpdateAssumeRolePolicy"}}, 4, 0},
		{"this operation", Options{Services: []string{"iam"}, Every: 2, Operations: []string{"ListRoles"}}, 4, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be, hits := backend(t)
			p, err := Start(be.URL, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			client := iam.NewFromConfig(config(p.URL))
			throttled := 0
			for range tt.iamCalls {
				_, err := client.ListRoles(context.Background(), &iam.ListRolesInput{})
				var ae smithy.APIError
				switch {
				case err == nil:
				case errors.As(err, &ae) && ae.ErrorCode() == "Throttling":
					// The SDK's own classification: a throttle the retryer backs off on.
					if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
						t.Errorf("the SDK does not see %v as a throttle", err)
					}
					throttled++
				default:
					t.Fatalf("ListRoles: %v", err)
				}
			}
			if throttled != tt.wantThrottled || p.Throttled() != tt.wantThrottled {
				t.Errorf("throttled = %d (proxy says %d); want %d", throttled, p.Throttled(), tt.wantThrottled)
			}
			if got := int(hits.Load()); got != tt.iamCalls-tt.wantThrottled {
				t.Errorf("backend saw %d calls; want %d (throttled calls never reach it)", got, tt.iamCalls-tt.wantThrottled)
			}
		})
	}
}

func TestJSONProtocolThrottle(t *testing.T) {
	be, _ := backend(t)
	p, err := Start(be.URL, Options{Services: []string{"events"}, Every: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = eventbridge.NewFromConfig(config(p.URL)).PutEvents(context.Background(), &eventbridge.PutEventsInput{
		Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String("{}")}}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" {
		t.Fatalf("PutEvents through the proxy: %v; want ThrottlingException", err)
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Errorf("the SDK does not see %v as a throttle", err)
	}
}
