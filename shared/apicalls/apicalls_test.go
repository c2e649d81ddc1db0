package apicalls_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/apicalls"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/faultproxy"
)

// iamBackend answers every IAM call with an empty ListRoles/ListRoleTags result.
func iamBackend(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		op := r.PostForm.Get("Action")
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult><IsTruncated>false</IsTruncated></%sResult></%sResponse>`, op, op, op, op)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func client(endpoint string, c *apicalls.Counter) *iam.Client {
	return iam.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		APIOptions:   c.APIOptions(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		},
	})
}

// Every attempt counts, retries of throttled calls included.
func TestCountsEveryAttempt(t *testing.T) {
	proxy, err := faultproxy.Start(iamBackend(t), faultproxy.Options{Services: []string{"iam"}, Every: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	c := &apicalls.Counter{}
	api := client(proxy.URL, c)
	ctx := context.Background()
	for range 3 {
		if _, err := api.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
			t.Fatalf("ListRoles: %v", err)
		}
	}
	if _, err := api.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("r")}); err != nil {
		t.Fatalf("ListRoleTags: %v", err)
	}
	// Attempts 1..6 through the proxy; the 2nd, 4th and 6th are throttled and retried.
	want := map[string]int{"IAM.ListRoles": 5, "IAM.ListRoleTags": 2}
	if diff := cmp.Diff(want, c.Snapshot()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if proxy.Throttled() != 3 {
		t.Errorf("throttled %d; want 3", proxy.Throttled())
	}
}

func ExampleCounter() {
	var c apicalls.Counter // attach with config.WithAPIOptions(c.APIOptions())
	c.Add("IAM.ListRoles", 5)
	c.Add("IAM.ListRoleTags", 12)
	fmt.Println(c.Snapshot())
	// Output: map[IAM.ListRoleTags:12 IAM.ListRoles:5]
}
