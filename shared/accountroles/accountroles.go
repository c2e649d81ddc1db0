// Package accountroles gives the hub of an organization-wide deployment a client per account:
// its own account's client as is, and for any other account a client whose credentials come
// from assuming arn:<partition>:iam::<account>:role/<MEMBER_ROLE_NAME> with a fixed source
// identity. Credentials are cached per account until Refresh before they expire, so an account
// costs one sts:AssumeRole per credential lifetime, not one per event or per role.
//
// The reasoning, from IAM's and STS's documented behaviour:
//   - The member role requires a source identity (its trust policy carries a condition on
//     sts:SourceIdentity and allows sts:SetSourceIdentity), so AssumeRole passes SourceIdentity
//     (DefaultSourceIdentity). STS records it in CloudTrail and it stays on the session
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html).
//     The hub's own permissions policy must allow sts:SetSourceIdentity as well as sts:AssumeRole
//     on the member role, because the call is cross-account.
//   - Which accounts may be reached is decided before any call: an account id that is not 12
//     digits, or (when Config.Members is set) one that is not an ACTIVE account of the
//     organization, is refused with an *Error and no AssumeRole is made. The hub's IAM policy
//     also limits sts:AssumeRole to roles in the organization (aws:ResourceOrgID), so a role of
//     that name in a stranger's account cannot be assumed even if this check were skipped
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid).
//   - An AssumeRole that fails for a reason a retry cannot fix (AccessDenied: the member role is
//     missing or does not trust the hub) is remembered for NegativeTTL, so that a burst of
//     events from such an account costs one failed call, not one per event. Throttling and
//     server faults are not remembered: the caller may retry them.
//
// Every refusal is an *Error naming the account, the role and the reason; errors.Is matches
// ErrInvalidAccount, ErrNotMember (from orgaccounts), ErrOrganization or ErrAssume.
package accountroles

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/orgaccounts"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// STS is the part of *sts.Client the package uses.
type STS interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

var _ STS = (*sts.Client)(nil)

// Members says whether an account belongs to the organization. *orgaccounts.Lookup
// satisfies it: nil for an ACTIVE member, an error wrapping orgaccounts.ErrNotMember for
// anything else, another error when the organization could not be read.
type Members interface {
	Check(ctx context.Context, account string) error
}

// Defaults of Config.
const (
	DefaultSourceIdentity = "source-identity-guard"
	DefaultSessionName    = "source-identity-guard"
	DefaultDuration       = time.Hour
	DefaultRefresh        = 5 * time.Minute
	DefaultNegativeTTL    = time.Minute
)

// Config describes how to reach member accounts.
type Config struct {
	// Own is the hub's account id: its client is used directly. Required.
	Own string
	// Partition of the role ARNs ("aws" when empty).
	Partition string
	// RoleName is MEMBER_ROLE_NAME: the member role's name, with an optional path
	// ("source-identity-guard/member"). Required.
	RoleName string
	// SourceIdentity is passed on every AssumeRole (DefaultSourceIdentity when empty).
	SourceIdentity string
	// InheritSourceIdentity passes no SourceIdentity: the caller's own, if its session has one,
	// carries over (STS propagates it and refuses to change it). For a person's workstation
	// (sidguard scan --org); the hub's functions always set SourceIdentity.
	InheritSourceIdentity bool
	// SessionName is the RoleSessionName (DefaultSessionName when empty).
	SessionName string
	// Duration asked for (DefaultDuration when 0; STS allows 15 min to the role's maximum).
	Duration time.Duration
	// Refresh: credentials are renewed this long before they expire (DefaultRefresh when 0).
	Refresh time.Duration
	// NegativeTTL: how long a permanent AssumeRole failure is remembered (DefaultNegativeTTL
	// when 0).
	NegativeTTL time.Duration
	STS         STS     // required
	Members     Members // nil: no membership check (the IAM policy still fences the org)
	Now         func() time.Time
}

// Reasons, matched with errors.Is on an *Error.
var (
	ErrInvalidAccount = errors.New("not a 12-digit account id")
	ErrOrganization   = errors.New("the organization's accounts could not be read")
	ErrAssume         = errors.New("the member role cannot be assumed")
)

// Error is a refusal to give a client for an account.
type Error struct {
	Account string
	RoleARN string // empty when no role was tried
	Reason  error  // ErrInvalidAccount, orgaccounts.ErrNotMember, ErrOrganization, ErrAssume
	Err     error  // the cause (an SDK error), if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "account %s: %v", e.Account, e.Reason)
	if e.RoleARN != "" {
		fmt.Fprintf(&b, " (%s)", e.RoleARN)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the reason and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

// Set hands out one client of type T per account.
type Set[T any] struct {
	cfg   Config
	own   T
	build func(account string, creds aws.CredentialsProvider) T

	mu      sync.Mutex
	entries map[string]*entry[T]
}

type entry[T any] struct {
	mu      sync.Mutex // one AssumeRole at a time per account
	client  T
	built   bool
	creds   aws.Credentials
	expires time.Time // of creds, minus Refresh
	failErr error     // last permanent failure
	failAt  time.Time
	assumed int // AssumeRole calls made
}

// New returns a Set. own is the hub account's client; build makes a client for another account
// from a credentials provider (called once per account; the provider renews the credentials).
func New[T any](cfg Config, own T, build func(account string, creds aws.CredentialsProvider) T) (*Set[T], error) {
	if !trustpolicy.IsAccountID(cfg.Own) {
		return nil, fmt.Errorf("accountroles: own account %q: %w", cfg.Own, ErrInvalidAccount)
	}
	name, err := CleanRoleName(cfg.RoleName)
	if err != nil {
		return nil, fmt.Errorf("accountroles: %w", err)
	}
	cfg.RoleName = name
	if cfg.STS == nil || build == nil {
		return nil, errors.New("accountroles: Config.STS and build are required")
	}
	if cfg.Partition == "" {
		cfg.Partition = "aws"
	}
	if cfg.SourceIdentity == "" && !cfg.InheritSourceIdentity {
		cfg.SourceIdentity = DefaultSourceIdentity
	}
	if cfg.SessionName == "" {
		cfg.SessionName = DefaultSessionName
	}
	if cfg.Duration == 0 {
		cfg.Duration = DefaultDuration
	}
	if cfg.Refresh == 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.NegativeTTL == 0 {
		cfg.NegativeTTL = DefaultNegativeTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Set[T]{cfg: cfg, own: own, build: build, entries: map[string]*entry[T]{}}, nil
}

// Own is the hub's account id.
func (s *Set[T]) Own() string { return s.cfg.Own }

// RoleARN is the member role's ARN in account.
func (s *Set[T]) RoleARN(account string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", s.cfg.Partition, account, s.cfg.RoleName)
}

// For returns the client of account. For another account than Own it checks membership (when
// Config.Members is set) and makes sure valid credentials are at hand, assuming the member
// role when none are cached; every refusal is an *Error.
func (s *Set[T]) For(ctx context.Context, account string) (T, error) {
	var zero T
	if account == s.cfg.Own {
		return s.own, nil
	}
	if !trustpolicy.IsAccountID(account) {
		return zero, &Error{Account: account, Reason: ErrInvalidAccount}
	}
	if s.cfg.Members != nil {
		if err := s.cfg.Members.Check(ctx, account); err != nil {
			if errors.Is(err, orgaccounts.ErrNotMember) {
				return zero, &Error{Account: account, Reason: orgaccounts.ErrNotMember}
			}
			return zero, &Error{Account: account, Reason: ErrOrganization, Err: err}
		}
	}
	e := s.entry(account)
	if _, err := s.retrieve(ctx, account, e); err != nil {
		return zero, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.built {
		e.client = s.build(account, provider[T]{s: s, account: account, e: e})
		e.built = true
	}
	return e.client, nil
}

// Assumed returns the AssumeRole calls made so far, by account.
func (s *Set[T]) Assumed() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.entries))
	for a, e := range s.entries {
		e.mu.Lock()
		if e.assumed > 0 {
			out[a] = e.assumed
		}
		e.mu.Unlock()
	}
	return out
}

func (s *Set[T]) entry(account string) *entry[T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[account]
	if e == nil {
		e = &entry[T]{}
		s.entries[account] = e
	}
	return e
}

// retrieve returns valid credentials for account, assuming the role when the cached ones are
// missing or within Refresh of expiring.
func (s *Set[T]) retrieve(ctx context.Context, account string, e *entry[T]) (aws.Credentials, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := s.cfg.Now()
	if e.creds.HasKeys() && now.Before(e.expires) {
		return e.creds, nil
	}
	if e.failErr != nil && now.Sub(e.failAt) < s.cfg.NegativeTTL {
		return aws.Credentials{}, e.failErr
	}
	arn := s.RoleARN(account)
	secs := int32(s.cfg.Duration / time.Second)
	e.assumed++
	in := &sts.AssumeRoleInput{
		RoleArn:         aws.String(arn),
		RoleSessionName: aws.String(s.cfg.SessionName),
		DurationSeconds: aws.Int32(secs),
	}
	if !s.cfg.InheritSourceIdentity {
		in.SourceIdentity = aws.String(s.cfg.SourceIdentity)
	}
	out, err := s.cfg.STS.AssumeRole(ctx, in)
	if err == nil && (out.Credentials == nil || out.Credentials.AccessKeyId == nil) {
		err = errors.New("AssumeRole returned no credentials")
	}
	if err != nil {
		ae := &Error{Account: account, RoleARN: arn, Reason: ErrAssume, Err: err}
		if !iamrole.Retryable(err) && ctx.Err() == nil {
			e.failErr, e.failAt = ae, now
		}
		return aws.Credentials{}, ae
	}
	c := out.Credentials
	expires := now.Add(s.cfg.Duration)
	if c.Expiration != nil {
		expires = *c.Expiration
	}
	e.failErr = nil
	e.creds = aws.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Source:          "accountroles:" + arn,
		CanExpire:       true,
		Expires:         expires.Add(-s.cfg.Refresh),
	}
	e.expires = e.creds.Expires
	return e.creds, nil
}

// provider is the aws.CredentialsProvider of one account's client. The SDK caches what it
// returns until Expires (Refresh before the real expiry); then it asks again and the Set
// assumes the role again.
type provider[T any] struct {
	s       *Set[T]
	account string
	e       *entry[T]
}

func (p provider[T]) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return p.s.retrieve(ctx, p.account, p.e)
}

// CleanRoleName validates MEMBER_ROLE_NAME: a role name (1-64 of A-Z a-z 0-9 _ + = , . @ -)
// optionally preceded by a path ("team/sub/"), 512 characters at most for the path; a leading
// "/" is dropped. It returns the form used after "role/" in an ARN.
func CleanRoleName(s string) (string, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "/")
	if s == "" {
		return "", errors.New("member role name: empty")
	}
	parts := strings.Split(s, "/")
	name := parts[len(parts)-1]
	if !validName(name, 64) {
		return "", fmt.Errorf("member role name %q: the name after the last / must be 1-64 of A-Z a-z 0-9 _ + = , . @ -", s)
	}
	if path := len(s) - len(name) + 1; path > 512 {
		return "", fmt.Errorf("member role name %q: the path is longer than 512 characters", s)
	}
	for _, p := range parts[:len(parts)-1] {
		if !validName(p, 512) {
			return "", fmt.Errorf("member role name %q: path element %q must be 1 or more of A-Z a-z 0-9 _ + = , . @ -", s, p)
		}
	}
	return s, nil
}

func validName(s string, max int) bool {
	if len(s) < 1 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			return false
		}
	}
	return true
}
