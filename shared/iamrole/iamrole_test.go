package iamrole

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

var _ API = (*iam.Client)(nil)

// fakeAPI is an API whose methods are functions; a nil function fails the test if called.
type fakeAPI struct {
	t            *testing.T
	getRole      func(*iam.GetRoleInput) (*iam.GetRoleOutput, error)
	update       func(*iam.UpdateAssumeRolePolicyInput) (*iam.UpdateAssumeRolePolicyOutput, error)
	listRoles    func(*iam.ListRolesInput) (*iam.ListRolesOutput, error)
	listRoleTags func(*iam.ListRoleTagsInput) (*iam.ListRoleTagsOutput, error)
}

func (f *fakeAPI) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	if f.getRole == nil {
		f.t.Fatal("unexpected GetRole")
	}
	return f.getRole(in)
}

func (f *fakeAPI) UpdateAssumeRolePolicy(_ context.Context, in *iam.UpdateAssumeRolePolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	if f.update == nil {
		f.t.Fatal("unexpected UpdateAssumeRolePolicy")
	}
	return f.update(in)
}

func (f *fakeAPI) ListRoles(_ context.Context, in *iam.ListRolesInput, _ ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	if f.listRoles == nil {
		f.t.Fatal("unexpected ListRoles")
	}
	return f.listRoles(in)
}

func (f *fakeAPI) ListRoleTags(_ context.Context, in *iam.ListRoleTagsInput, _ ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error) {
	if f.listRoleTags == nil {
		f.t.Fatal("unexpected ListRoleTags")
	}
	return f.listRoleTags(in)
}

// encodeLikeIAM percent-encodes every byte but letters, digits, '-', '.', '_' and '~', as IAM
// does for policy documents (RFC 3986).
func encodeLikeIAM(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

const trickyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},` +
	`"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:SourceIdentity":"a+b%20c é <&>"}}}]}`

func sdkRole(name string, doc string, tags ...types.Tag) *types.Role {
	return &types.Role{
		RoleName:                 aws.String(name),
		Path:                     aws.String("/team/"),
		Arn:                      aws.String("arn:aws:iam::111122223333:role/team/" + name),
		RoleId:                   aws.String("AROAEXAMPLE" + strings.ToUpper(name)),
		AssumeRolePolicyDocument: aws.String(doc),
		Tags:                     tags,
	}
}

func TestGet(t *testing.T) {
	tests := []struct {
		name string
		role *types.Role
		want Role
	}{{
		name: "URL-encoded document with plus, percent, space, non-ASCII, tags",
		role: sdkRole("app", encodeLikeIAM(trickyPolicy), types.Tag{Key: aws.String("owner"), Value: aws.String("a+b")}),
		want: Role{
			Name: "app", Path: "/team/", ARN: "arn:aws:iam::111122223333:role/team/app", ID: "AROAEXAMPLEAPP",
			TrustPolicy: []byte(trickyPolicy),
			Tags:        map[string]string{"owner": "a+b"},
		},
	}, {
		name: "no tags gives an empty, non-nil map",
		role: sdkRole("bare", "%7B%7D"),
		want: Role{
			Name: "bare", Path: "/team/", ARN: "arn:aws:iam::111122223333:role/team/bare", ID: "AROAEXAMPLEBARE",
			TrustPolicy: []byte("{}"),
			Tags:        map[string]string{},
		},
	}, {
		name: "document that is not URL-encoded is kept",
		role: sdkRole("raw", `{"a":"100%"}`),
		want: Role{
			Name: "raw", Path: "/team/", ARN: "arn:aws:iam::111122223333:role/team/raw", ID: "AROAEXAMPLERAW",
			TrustPolicy: []byte(`{"a":"100%"}`),
			Tags:        map[string]string{},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotName string
			api := &fakeAPI{t: t, getRole: func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
				gotName = aws.ToString(in.RoleName)
				return &iam.GetRoleOutput{Role: tt.role}, nil
			}}
			got, err := New(api).Get(t.Context(), tt.want.Name)
			if err != nil {
				t.Fatalf("Get(%q): %v", tt.want.Name, err)
			}
			if gotName != tt.want.Name {
				t.Errorf("GetRole RoleName = %q; want %q", gotName, tt.want.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Get(%q) mismatch (-want +got):\n%s", tt.want.Name, diff)
			}
			if got.Tags == nil {
				t.Errorf("Get(%q).Tags = nil; want non-nil", tt.want.Name)
			}
		})
	}
}

func TestGetBadEncoding(t *testing.T) {
	api := &fakeAPI{t: t, getRole: func(*iam.GetRoleInput) (*iam.GetRoleOutput, error) {
		return &iam.GetRoleOutput{Role: sdkRole("x", "%7B%ZZ")}, nil
	}}
	_, err := New(api).Get(t.Context(), "x")
	if err == nil || !strings.Contains(err.Error(), `get role "x": decode trust policy`) {
		t.Errorf("Get with a bad escape: err = %v; want a decode error naming the role", err)
	}
}

func notFound(name string) error {
	return &types.NoSuchEntityException{Message: aws.String("The role with name " + name + " cannot be found.")}
}

func TestGetWaitsForNewRole(t *testing.T) {
	tests := []struct {
		name        string
		delays      []time.Duration
		missingFor  int // GetRole answers NoSuchEntity this many times first
		wantCalls   int
		wantMissing bool
	}{
		{name: "visible at once", delays: []time.Duration{time.Millisecond}, missingFor: 0, wantCalls: 1},
		{name: "visible on third attempt", delays: []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}, missingFor: 2, wantCalls: 3},
		{name: "never visible", delays: []time.Duration{time.Millisecond, 2 * time.Millisecond}, missingFor: 99, wantCalls: 3, wantMissing: true},
		{name: "no delays: one attempt", delays: nil, missingFor: 99, wantCalls: 1, wantMissing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			api := &fakeAPI{t: t, getRole: func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
				calls++
				if calls <= tt.missingFor {
					return nil, notFound(*in.RoleName)
				}
				return &iam.GetRoleOutput{Role: sdkRole("new", "%7B%7D")}, nil
			}}
			_, err := New(api, WithNotFoundDelays(tt.delays...)).Get(t.Context(), "new")
			if calls != tt.wantCalls {
				t.Errorf("GetRole calls = %d; want %d", calls, tt.wantCalls)
			}
			if got := errors.Is(err, ErrNotFound); got != tt.wantMissing {
				t.Errorf("Get: err = %v; errors.Is(err, ErrNotFound) = %v, want %v", err, got, tt.wantMissing)
			}
			if tt.wantMissing {
				want := `get role "new": role not found: The role with name new cannot be found.`
				if err.Error() != want {
					t.Errorf("Get error text = %q; want %q", err.Error(), want)
				}
			}
		})
	}
}

func TestGetWaitCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	api := &fakeAPI{t: t, getRole: func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
		cancel()
		return nil, notFound(*in.RoleName)
	}}
	start := time.Now()
	_, err := New(api, WithNotFoundDelays(time.Hour)).Get(ctx, "x")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Get with context canceled during the wait: err = %v; want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Get waited %v after cancellation", d)
	}
}

func TestDefaultNotFoundWait(t *testing.T) {
	var total time.Duration
	for _, d := range DefaultNotFoundDelays {
		total += d
	}
	if total < 2*time.Second || total > 3*time.Second {
		t.Errorf("default not-found wait totals %v; want 2-3 s", total)
	}
}

func TestUpdateTrustPolicy(t *testing.T) {
	tests := []struct {
		name, in, wantSent string
	}{
		{name: "compact JSON sent as plain text", in: trickyPolicy, wantSent: trickyPolicy},
		{name: "indented JSON is compacted, strings untouched", in: "{\n  \"a\": \"x  <y>\",\n  \"b\": [1, 2]\n}\n", wantSent: `{"a":"x  <y>","b":[1,2]}`},
		{name: "invalid JSON sent unchanged for IAM to judge", in: `{"a":`, wantSent: `{"a":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *iam.UpdateAssumeRolePolicyInput
			api := &fakeAPI{t: t, update: func(in *iam.UpdateAssumeRolePolicyInput) (*iam.UpdateAssumeRolePolicyOutput, error) {
				got = in
				return &iam.UpdateAssumeRolePolicyOutput{}, nil
			}}
			if err := New(api).UpdateTrustPolicy(t.Context(), "app", []byte(tt.in)); err != nil {
				t.Fatalf("UpdateTrustPolicy: %v", err)
			}
			if aws.ToString(got.RoleName) != "app" {
				t.Errorf("RoleName = %q; want app", aws.ToString(got.RoleName))
			}
			if diff := cmp.Diff(tt.wantSent, aws.ToString(got.PolicyDocument)); diff != "" {
				t.Errorf("PolicyDocument sent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateTrustPolicyErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		want     error
		wantText string
	}{
		{
			name:     "size quota",
			err:      &types.LimitExceededException{Message: aws.String("Cannot exceed quota for ACLSizePerRole: 2048")},
			want:     ErrLimitExceeded,
			wantText: `update trust policy of role "app": limit exceeded: Cannot exceed quota for ACLSizePerRole: 2048`,
		},
		{
			name:     "invalid principal",
			err:      &types.MalformedPolicyDocumentException{Message: aws.String(`Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/gone"`)},
			want:     ErrMalformedPolicy,
			wantText: `update trust policy of role "app": malformed policy document: Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/gone"`,
		},
		{
			name:     "service-linked role",
			err:      &types.UnmodifiableEntityException{Message: aws.String("Cannot perform the operation on the protected role 'app' - this role is only modifiable by AWS")},
			want:     ErrUnmodifiable,
			wantText: `update trust policy of role "app": role not modifiable: Cannot perform the operation on the protected role 'app' - this role is only modifiable by AWS`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{t: t, update: func(*iam.UpdateAssumeRolePolicyInput) (*iam.UpdateAssumeRolePolicyOutput, error) {
				return nil, tt.err
			}}
			err := New(api).UpdateTrustPolicy(t.Context(), "app", []byte(`{}`))
			if !errors.Is(err, tt.want) {
				t.Errorf("UpdateTrustPolicy: err = %v; want errors.Is %v", err, tt.want)
			}
			if err != nil && err.Error() != tt.wantText {
				t.Errorf("error text = %q; want %q", err.Error(), tt.wantText)
			}
			if !errors.As(err, new(*types.LimitExceededException)) && tt.want == ErrLimitExceeded {
				t.Errorf("the SDK error is not kept in the chain: %v", err)
			}
			if Retryable(err) {
				t.Errorf("Retryable(%v) = true; want false", err)
			}
		})
	}
}

func TestTagsPages(t *testing.T) {
	pages := map[string]*iam.ListRoleTagsOutput{
		"":   {Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("")}}, IsTruncated: true, Marker: aws.String("m1")},
		"m1": {Tags: []types.Tag{{Key: aws.String("c"), Value: aws.String("3")}}, IsTruncated: true, Marker: aws.String("m2")},
		"m2": {Tags: []types.Tag{{Key: aws.String("source-identity-guard:exempt"), Value: aws.String("break glass")}}},
	}
	var markers []string
	api := &fakeAPI{t: t, listRoleTags: func(in *iam.ListRoleTagsInput) (*iam.ListRoleTagsOutput, error) {
		if aws.ToString(in.RoleName) != "app" {
			t.Errorf("ListRoleTags RoleName = %q; want app", aws.ToString(in.RoleName))
		}
		m := aws.ToString(in.Marker)
		markers = append(markers, m)
		return pages[m], nil
	}}
	got, err := New(api).Tags(t.Context(), "app")
	if err != nil {
		t.Fatalf("Tags: %v", err)
	}
	want := map[string]string{"a": "1", "b": "", "c": "3", "source-identity-guard:exempt": "break glass"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tags mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"", "m1", "m2"}, markers); diff != "" {
		t.Errorf("markers sent (-want +got):\n%s", diff)
	}
}

func TestTagsNone(t *testing.T) {
	api := &fakeAPI{t: t, listRoleTags: func(*iam.ListRoleTagsInput) (*iam.ListRoleTagsOutput, error) {
		return &iam.ListRoleTagsOutput{}, nil
	}}
	got, err := New(api).Tags(t.Context(), "app")
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("Tags of an untagged role = %v, %v; want empty non-nil map, nil", got, err)
	}
}

func TestTagsNotFound(t *testing.T) {
	api := &fakeAPI{t: t, listRoleTags: func(in *iam.ListRoleTagsInput) (*iam.ListRoleTagsOutput, error) {
		return nil, notFound(*in.RoleName)
	}}
	_, err := New(api).Tags(t.Context(), "gone")
	if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), `list tags of role "gone": role not found`) {
		t.Errorf("Tags of a missing role: err = %v; want ErrNotFound naming the role", err)
	}
}

func TestListPage(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[]}`
	var ins []*iam.ListRolesInput
	api := &fakeAPI{t: t, listRoles: func(in *iam.ListRolesInput) (*iam.ListRolesOutput, error) {
		ins = append(ins, in)
		switch aws.ToString(in.Marker) {
		case "":
			return &iam.ListRolesOutput{
				Roles:       []types.Role{*sdkRole("a", encodeLikeIAM(doc), types.Tag{Key: aws.String("k"), Value: aws.String("v")})},
				IsTruncated: true, Marker: aws.String("next-1"),
			}, nil
		default:
			return &iam.ListRolesOutput{Roles: []types.Role{*sdkRole("b", encodeLikeIAM(doc))}}, nil
		}
	}}
	c := New(api)
	roles, next, err := c.ListPage(t.Context(), "")
	if err != nil {
		t.Fatalf("ListPage first: %v", err)
	}
	want := []Role{{Name: "a", Path: "/team/", ARN: "arn:aws:iam::111122223333:role/team/a", ID: "AROAEXAMPLEA", TrustPolicy: []byte(doc)}}
	if diff := cmp.Diff(want, roles); diff != "" {
		t.Errorf("first page mismatch (-want +got):\n%s", diff)
	}
	if roles[0].Tags != nil {
		t.Errorf("ListPage role Tags = %v; want nil (not read)", roles[0].Tags)
	}
	if next != "next-1" {
		t.Errorf("next = %q; want next-1", next)
	}
	roles, next, err = c.ListPage(t.Context(), next)
	if err != nil || next != "" || len(roles) != 1 || roles[0].Name != "b" {
		t.Errorf("ListPage last = %v, %q, %v; want role b, \"\", nil", roles, next, err)
	}
	if len(ins) != 2 || ins[0].Marker != nil || aws.ToString(ins[1].Marker) != "next-1" {
		t.Errorf("markers sent: %+v", ins)
	}
	for _, in := range ins {
		if aws.ToInt32(in.MaxItems) != 1000 || in.PathPrefix != nil {
			t.Errorf("ListRoles input MaxItems=%d PathPrefix=%v; want 1000, nil", aws.ToInt32(in.MaxItems), in.PathPrefix)
		}
	}
}

func TestListPageErrors(t *testing.T) {
	tests := []struct {
		name string
		out  *iam.ListRolesOutput
		err  error
		want string
	}{
		{name: "truncated without marker", out: &iam.ListRolesOutput{IsTruncated: true}, want: `list roles (marker "m"): truncated page without a marker`},
		{name: "bad encoding", out: &iam.ListRolesOutput{Roles: []types.Role{*sdkRole("x", "%E")}}, want: `list roles (marker "m"): role "x": decode trust policy: invalid URL escape "%E"`},
		{name: "access denied", err: apiErr("AccessDenied", "User: u is not authorized to perform: iam:ListRoles"), want: `list roles (marker "m"): access denied: User: u is not authorized to perform: iam:ListRoles`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{t: t, listRoles: func(*iam.ListRolesInput) (*iam.ListRolesOutput, error) { return tt.out, tt.err }}
			_, _, err := New(api).ListPage(t.Context(), "m")
			if err == nil || err.Error() != tt.want {
				t.Errorf("ListPage: err = %v; want %q", err, tt.want)
			}
		})
	}
}

func TestDecodePolicy(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "x%2By+z", want: "x+y+z"}, // '+' stays '+': QueryUnescape would give "x+y z"
		{in: "100%25", want: "100%"},
		{in: "a%20b", want: "a b"},
		{in: "caf%C3%A9", want: "café"},
		{in: "%7B%0A%20%20%22a%22%3A1%7D%0A", want: "{\n  \"a\":1}\n"},
		{in: `{"a":"50% off"}`, want: `{"a":"50% off"}`}, // not encoded: kept
		{in: "%zz", wantErr: true},
	}
	for _, tt := range tests {
		got, err := DecodePolicy(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("DecodePolicy(%q) error = %v; want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && string(got) != tt.want {
			t.Errorf("DecodePolicy(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzDecodePolicy(f *testing.F) {
	for _, s := range []string{trickyPolicy, "{}", "a+b%20c é", "\n\t", "%", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := encodeLikeIAM(s)
		got, err := DecodePolicy(enc)
		if err != nil {
			t.Fatalf("DecodePolicy(encode(%q)): %v", s, err)
		}
		if string(got) != s {
			t.Fatalf("DecodePolicy(encode(%q)) = %q", s, got)
		}
		// Cross-check with the standard library's decoder on the same text.
		if std, err := url.PathUnescape(enc); err != nil || std != s {
			t.Fatalf("url.PathUnescape(%q) = %q, %v", enc, std, err)
		}
		// Arbitrary input never panics.
		DecodePolicy(s)
	})
}
