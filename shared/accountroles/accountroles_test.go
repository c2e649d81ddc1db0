package accountroles

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/orgaccounts"
)

const (
	hub     = "111111111111"
	memberA = "222222222222"
	memberB = "333333333333"
)

// fakeSTS records AssumeRole calls and answers with credentials valid for the asked duration,
// or with err for the roles in fail.
type fakeSTS struct {
	mu    sync.Mutex
	now   func() time.Time
	calls []sts.AssumeRoleInput
	fail  map[string]error // by role ARN
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, *in)
	if err := f.fail[aws.ToString(in.RoleArn)]; err != nil {
		return nil, err
	}
	exp := f.now().Add(time.Duration(aws.ToInt32(in.DurationSeconds)) * time.Second)
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("ASIA" + aws.ToString(in.RoleArn)[13:25]), SecretAccessKey: aws.String("s"),
		SessionToken: aws.String("t"), Expiration: &exp}}, nil
}

func (f *fakeSTS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

type members map[string]error

func (m members) Check(_ context.Context, a string) error {
	if err, ok := m[a]; ok {
		return err
	}
	return orgaccounts.ErrNotMember
}

// client is what build makes: it keeps the account and the provider.
type client struct {
	account string
	creds   aws.CredentialsProvider
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newSet(t *testing.T, c *clock, f *fakeSTS, m Members) *Set[*client] {
	t.Helper()
	f.now = c.now
	s, err := New(Config{Own: hub, RoleName: "source-identity-guard/member", STS: f, Members: m, Now: c.now},
		&client{account: hub}, func(a string, p aws.CredentialsProvider) *client { return &client{account: a, creds: p} })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestForCachesOneAssumeRolePerLifetime(t *testing.T) {
	c := &clock{time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	f := &fakeSTS{}
	s := newSet(t, c, f, members{memberA: nil, memberB: nil})
	ctx := t.Context()

	own, err := s.For(ctx, hub)
	if err != nil || own.account != hub || f.count() != 0 {
		t.Fatalf("own account: %v %v, %d AssumeRole", own, err, f.count())
	}
	for i := range 100 {
		acct := memberA
		if i%2 == 1 {
			acct = memberB
		}
		cl, err := s.For(ctx, acct)
		if err != nil || cl.account != acct {
			t.Fatalf("event %d: %v %v", i, cl, err)
		}
		c.t = c.t.Add(10 * time.Second) // 100 events over 16 min 40 s
	}
	if diff := cmp.Diff(map[string]int{memberA: 1, memberB: 1}, s.Assumed()); diff != "" {
		t.Errorf("AssumeRole per account (-want +got):\n%s", diff)
	}
	in := f.calls[0]
	if got, want := aws.ToString(in.RoleArn), "arn:aws:iam::"+memberA+":role/source-identity-guard/member"; got != want {
		t.Errorf("RoleArn = %s; want %s", got, want)
	}
	if aws.ToString(in.SourceIdentity) != DefaultSourceIdentity || aws.ToString(in.RoleSessionName) != DefaultSessionName ||
		aws.ToInt32(in.DurationSeconds) != 3600 {
		t.Errorf("AssumeRole input = %+v", in)
	}
	// The client's provider returns the cached credentials, expiring Refresh early ...
	cl, _ := s.For(ctx, memberA)
	cr, err := cl.creds.Retrieve(ctx)
	if err != nil || !cr.CanExpire || !cr.Expires.Equal(time.Date(2026, 12, 1, 0, 55, 0, 0, time.UTC)) || f.count() != 2 {
		t.Errorf("provider: %+v %v (%d calls)", cr, err, f.count())
	}
	// ... and once they are that close to expiry, it assumes the role again.
	c.t = time.Date(2026, 12, 1, 0, 55, 0, 0, time.UTC)
	if _, err := cl.creds.Retrieve(ctx); err != nil || s.Assumed()[memberA] != 2 {
		t.Errorf("renewal: %v, %v", err, s.Assumed())
	}
}

func TestForConcurrentCallsShareOneAssumeRole(t *testing.T) {
	c := &clock{time.Now()}
	f := &fakeSTS{}
	s := newSet(t, c, f, nil)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := s.For(t.Context(), memberA); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if f.count() != 1 {
		t.Errorf("AssumeRole calls = %d; want 1", f.count())
	}
}

func TestForRefusals(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:sts::111111111111:assumed-role/x/y is not authorized to perform: sts:AssumeRole"}
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	tests := []struct {
		name       string
		account    string
		members    Members
		fail       error
		wantReason error
		wantCalls  int // AssumeRole calls after 5 attempts
		retryable  bool
		wantText   []string
	}{
		{"not an account id", "12345", nil, nil, ErrInvalidAccount, 0, false, []string{"account 12345", "12-digit"}},
		{"outside the organization", memberB, members{memberA: nil}, nil, orgaccounts.ErrNotMember, 0, false,
			[]string{"account " + memberB, "not an ACTIVE account"}},
		{"organization unreadable", memberA, members{memberA: errors.New("AccessDeniedException: ListAccounts")}, nil, ErrOrganization, 0, false,
			[]string{"account " + memberA, "could not be read", "ListAccounts"}},
		{"member role missing: one failed call, remembered", memberA, nil, denied, ErrAssume, 1, false,
			[]string{"account " + memberA, "cannot be assumed", "role/source-identity-guard/member", "AccessDenied"}},
		{"throttled: not remembered, retryable", memberA, nil, throttled, ErrAssume, 5, true, []string{"Throttling"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{time.Now()}
			f := &fakeSTS{}
			if tt.fail != nil {
				f.fail = map[string]error{"arn:aws:iam::" + tt.account + ":role/source-identity-guard/member": tt.fail}
			}
			s := newSet(t, c, f, tt.members)
			var err error
			for range 5 {
				_, err = s.For(t.Context(), tt.account)
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Account != tt.account || !errors.Is(err, tt.wantReason) {
				t.Fatalf("err = %v; want an *Error for %s with reason %v", err, tt.account, tt.wantReason)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			if f.count() != tt.wantCalls {
				t.Errorf("AssumeRole calls = %d; want %d", f.count(), tt.wantCalls)
			}
			if iamrole.Retryable(err) != tt.retryable {
				t.Errorf("Retryable = %v; want %v", !tt.retryable, tt.retryable)
			}
		})
	}
}

func TestNegativeCacheExpires(t *testing.T) {
	c := &clock{time.Now()}
	arn := "arn:aws:iam::" + memberA + ":role/source-identity-guard/member"
	f := &fakeSTS{fail: map[string]error{arn: &smithy.GenericAPIError{Code: "AccessDenied"}}}
	s := newSet(t, c, f, nil)
	if _, err := s.For(t.Context(), memberA); err == nil {
		t.Fatal("want an error")
	}
	// The member stack is deployed; after NegativeTTL the next event gets through.
	delete(f.fail, arn)
	c.t = c.t.Add(DefaultNegativeTTL)
	if _, err := s.For(t.Context(), memberA); err != nil || f.count() != 2 {
		t.Fatalf("after NegativeTTL: %v, %d calls", err, f.count())
	}
}

// TestPropertyAtMostOneAssumeRolePerLifetime: whatever the order and timing of requests, an
// account is assumed exactly when it has no credentials valid for another Refresh, and every
// client handed out holds credentials valid now.
func TestPropertyAtMostOneAssumeRolePerLifetime(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		c := &clock{time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
		f := &fakeSTS{now: c.now}
		dur := time.Duration(rapid.IntRange(15, 120).Draw(rt, "durationMin")) * time.Minute
		s, err := New(Config{Own: hub, RoleName: "member", STS: f, Now: c.now, Duration: dur},
			&client{account: hub}, func(a string, p aws.CredentialsProvider) *client { return &client{account: a, creds: p} })
		if err != nil {
			rt.Fatal(err)
		}
		accounts := []string{hub, memberA, memberB}
		model := map[string]time.Time{} // account -> renew-at
		want := map[string]int{}
		n := rapid.IntRange(1, 200).Draw(rt, "events")
		for i := range n {
			c.t = c.t.Add(time.Duration(rapid.IntRange(0, 600).Draw(rt, "advanceSec")) * time.Second)
			a := rapid.SampledFrom(accounts).Draw(rt, "account")
			cl, err := s.For(rt.Context(), a)
			if err != nil {
				rt.Fatalf("event %d: %v", i, err)
			}
			if a == hub {
				continue
			}
			if renew, ok := model[a]; !ok || !c.t.Before(renew) {
				want[a]++
				model[a] = c.t.Add(dur - DefaultRefresh)
			}
			cr, err := cl.creds.Retrieve(rt.Context())
			if err != nil || !c.t.Before(cr.Expires) {
				rt.Fatalf("event %d: credentials %+v not valid at %v (%v)", i, cr, c.t, err)
			}
		}
		if got := s.Assumed(); !cmp.Equal(want, got, cmp.Comparer(func(a, b map[string]int) bool { return len(a) == len(b) && cmp.Equal(a, b) })) {
			rt.Fatalf("AssumeRole per account = %v; want %v", got, want)
		}
	})
}

func TestCleanRoleName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"member", "member", true},
		{"source-identity-guard/member", "source-identity-guard/member", true},
		{"/team/sub/member", "team/sub/member", true},
		{"", "", false},
		{"team//member", "", false},
		{"team/", "", false},
		{"bad name", "", false},
		{strings.Repeat("a", 65), "", false},
		{strings.Repeat("p", 512) + "/member", "", false},
	}
	for _, tt := range tests {
		got, err := CleanRoleName(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("CleanRoleName(%q) = %q, %v", tt.in, got, err)
		}
	}
}
