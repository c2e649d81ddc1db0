package iamrole

// Integration tests against a real moto_server (skipped loudly when it is missing, failed when
// CI=true). One server serves the package; motoserver.Shared wipes it for each test.

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

func TestMain(m *testing.M) { os.Exit(motoserver.RunTests(m)) }

// trickyIndented is trickyPolicy as a person would write it: indented, with a trailing newline.
const trickyIndented = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n" +
	"      \"Effect\": \"Allow\",\n      \"Principal\": {\"AWS\": \"arn:aws:iam::123456789012:root\"},\n" +
	"      \"Action\": \"sts:AssumeRole\",\n" +
	"      \"Condition\": {\"StringLike\": {\"sts:SourceIdentity\": \"a+b%20c é <&> ~*\"}}\n    }\n  ]\n}\n"

const lambdaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func motoIAM(t *testing.T) *iam.Client {
	t.Helper()
	return iam.NewFromConfig(motoserver.Shared(t).AWSConfig())
}

func createRole(t *testing.T, api *iam.Client, name, path, doc string, tags ...types.Tag) {
	t.Helper()
	_, err := api.CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(doc), Tags: tags,
	})
	if err != nil {
		t.Fatalf("CreateRole %q: %v", name, err)
	}
}

func TestIntegrationGetAndUpdateRoundTrip(t *testing.T) {
	api := motoIAM(t)
	ctx := t.Context()
	createRole(t, api, "app", "/team/", trickyIndented,
		types.Tag{Key: aws.String("source-identity-guard:mode"), Value: aws.String("allow")},
		types.Tag{Key: aws.String("owner"), Value: aws.String("a+b c")})
	c := New(api, WithNotFoundDelays())

	got, err := c.Get(ctx, "app")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := Role{
		Name: "app", Path: "/team/", ARN: "arn:aws:iam::123456789012:role/team/app", ID: got.ID,
		TrustPolicy: []byte(trickyIndented), // byte-exact, whitespace included
		Tags:        map[string]string{"source-identity-guard:mode": "allow", "owner": "a+b c"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(got.ID, "AROA") {
		t.Errorf("Get ID = %q; want a role id (AROA...)", got.ID)
	}

	patched := strings.Replace(trickyIndented, `"a+b%20c é <&> ~*"`, `["a+b%20c é <&> ~*", "x+y"]`, 1)
	if err := c.UpdateTrustPolicy(ctx, "app", []byte(patched)); err != nil {
		t.Fatalf("UpdateTrustPolicy: %v", err)
	}
	got, err = c.Get(ctx, "app")
	if err != nil {
		t.Fatalf("Get after update: %v", err)
	}
	wantDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:SourceIdentity":["a+b%20c é <&> ~*","x+y"]}}}]}`
	if diff := cmp.Diff(wantDoc, string(got.TrustPolicy)); diff != "" {
		t.Errorf("trust policy after update (-want +got):\n%s", diff)
	}
}

func TestIntegrationNotFound(t *testing.T) {
	api := motoIAM(t)
	ctx := t.Context()
	c := New(api, WithNotFoundDelays(time.Millisecond, time.Millisecond))
	_, err := c.Get(ctx, "nope")
	if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), `get role "nope": role not found`) {
		t.Errorf("Get missing: err = %v; want ErrNotFound naming the role", err)
	}
	err = c.UpdateTrustPolicy(ctx, "nope", []byte(lambdaTrust))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateTrustPolicy missing: err = %v; want ErrNotFound", err)
	}
	_, err = c.Tags(ctx, "nope")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Tags missing: err = %v; want ErrNotFound", err)
	}
	if Retryable(err) {
		t.Errorf("Retryable(%v) = true", err)
	}
}

// TestIntegrationGetWaitsForLateRole creates the role while Get is waiting on NoSuchEntity, as
// when the CreateRole event arrives before IAM's read path has the role.
func TestIntegrationGetWaitsForLateRole(t *testing.T) {
	api := motoIAM(t)
	ctx := t.Context()
	delays := make([]time.Duration, 40)
	for i := range delays {
		delays[i] = 25 * time.Millisecond
	}
	c := New(api, WithNotFoundDelays(delays...))
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(150 * time.Millisecond)
		createRole(t, api, "late", "/", lambdaTrust)
	})
	got, err := c.Get(ctx, "late")
	wg.Wait()
	if err != nil {
		t.Fatalf("Get of a role created during the wait: %v", err)
	}
	if string(got.TrustPolicy) != lambdaTrust {
		t.Errorf("TrustPolicy = %s; want %s", got.TrustPolicy, lambdaTrust)
	}
}

func TestIntegrationMalformed(t *testing.T) {
	api := motoIAM(t)
	ctx := t.Context()
	createRole(t, api, "app", "/", lambdaTrust)
	c := New(api)
	tests := []struct{ name, doc, wantMsg string }{
		{"bad JSON", `{"Version":"2012-10-17","Statement":[`, "Syntax errors in policy."},
		{"Resource in a trust policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}]}`, "Has prohibited field Resource."},
		{"URL-encoded text", "%7B%7D", "Syntax errors in policy."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.UpdateTrustPolicy(ctx, "app", []byte(tt.doc))
			if !errors.Is(err, ErrMalformedPolicy) {
				t.Fatalf("UpdateTrustPolicy: err = %v; want ErrMalformedPolicy", err)
			}
			want := `update trust policy of role "app": malformed policy document: ` + tt.wantMsg
			if err.Error() != want {
				t.Errorf("err = %q; want %q", err, want)
			}
		})
	}
	got, err := c.Get(ctx, "app")
	if err != nil || string(got.TrustPolicy) != lambdaTrust {
		t.Errorf("after rejected updates: Get = %s, %v; want the original document", got.TrustPolicy, err)
	}
}

func TestIntegrationTagsPaging(t *testing.T) {
	api := motoIAM(t)
	want := map[string]string{}
	var tags []types.Tag
	for i := range 50 { // IAM's maximum per role
		k, v := fmt.Sprintf("key-%02d", i), fmt.Sprintf("value %d+é", i)
		want[k] = v
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	createRole(t, api, "tagged", "/", lambdaTrust, tags...)
	var calls int
	counting := &fakeAPI{t: t, listRoleTags: func(in *iam.ListRoleTagsInput) (*iam.ListRoleTagsOutput, error) {
		calls++
		return api.ListRoleTags(t.Context(), in)
	}}
	c := New(counting)
	c.tagsPageSize = 7 // force 8 pages
	got, err := c.Tags(t.Context(), "tagged")
	if err != nil {
		t.Fatalf("Tags: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tags mismatch (-want +got):\n%s", diff)
	}
	if calls != 8 {
		t.Errorf("ListRoleTags calls = %d; want 8 pages of at most 7", calls)
	}
}

func TestIntegrationListPage(t *testing.T) {
	const n = 1050 // two pages: 1000 + 50 (moto creates ~300 roles/s)
	api := motoIAM(t)
	ctx := t.Context()
	start := time.Now()
	createRoles(t, api, n)
	t.Logf("created %d roles in %v", n, time.Since(start).Round(time.Millisecond))

	c := New(api)
	var pages []int
	var names []string
	marker := ""
	for {
		roles, next, err := c.ListPage(ctx, marker)
		if err != nil {
			t.Fatalf("ListPage(%q): %v", marker, err)
		}
		pages = append(pages, len(roles))
		for _, r := range roles {
			names = append(names, r.Name)
			if r.Tags != nil {
				t.Fatalf("ListPage role %q Tags = %v; want nil", r.Name, r.Tags)
			}
			if want := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalTag/team":"%s+1"}}}]}`, r.Name); string(r.TrustPolicy) != want {
				t.Fatalf("ListPage role %q TrustPolicy = %s; want %s", r.Name, r.TrustPolicy, want)
			}
			if r.Path != "/bulk/" || !strings.HasSuffix(r.ARN, ":role/bulk/"+r.Name) || r.ID == "" {
				t.Fatalf("ListPage role %+v: bad path, ARN or ID", r)
			}
		}
		if next == "" {
			break
		}
		marker = next
	}
	if diff := cmp.Diff([]int{1000, n - 1000}, pages); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	sort.Strings(names)
	for i := range n {
		if i >= len(names) || names[i] != roleName(i) {
			t.Fatalf("listed roles differ from created ones at %d (listed %d of %d)", i, len(names), n)
		}
	}
}

func roleName(i int) string { return fmt.Sprintf("bulk-%05d", i) }

// createRoles creates n roles with a few concurrent callers.
func createRoles(t *testing.T, api *iam.Client, n int) {
	t.Helper()
	const workers = 8
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				name := roleName(i)
				doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalTag/team":"%s+1"}}}]}`, name)
				_, err := api.CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String("/bulk/"), AssumeRolePolicyDocument: aws.String(doc)})
				if err != nil {
					select {
					case errs <- fmt.Errorf("CreateRole %q: %w", name, err):
					default:
					}
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}
