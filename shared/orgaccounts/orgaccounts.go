// Package orgaccounts is the only AWS Organizations I/O of the project: it lists the accounts of
// the organization (organizations:ListAccounts, every page) and keeps those whose State is
// ACTIVE (for the sweep), and it answers "is this account an ACTIVE member?" with a cached
// DescribeAccount (for the event path, Lookup).
//
// Why ListAccounts and State:
//   - ListAccounts returns every account of the organization, whatever OU it sits in (unlike
//     ListAccountsForParent, which returns direct children only), and may be called only from
//     the management account or a delegated administrator
//     (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html).
//     Its pages hold at most 20 accounts and an empty page may still carry a NextToken, so the
//     loop follows NextToken until it is absent, never until a page is empty.
//   - Account.Status is retired; State (PENDING_ACTIVATION, ACTIVE, SUSPENDED, PENDING_CLOSURE,
//     CLOSED) is what says whether an account can be used
//     (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html). Only
//     ACTIVE accounts are swept or served: a suspended or closing account cannot be changed,
//     and an account that is not listed at all is not ours.
package orgaccounts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// API is the part of *organizations.Client the package uses.
type API interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
}

var _ API = (*organizations.Client)(nil)

// Account is one active account of the organization.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// maxPages bounds the listing loop (20 accounts a page: 200,000 accounts, far above the
// organization quota) so that a service that always answers with a NextToken cannot hold the
// caller forever.
const maxPages = 10000

// List returns the organization's ACTIVE accounts in ListAccounts order, after reading every page.
// A failure on any page is an error (a partial list would make a sweep silently skip accounts).
func List(ctx context.Context, api API) ([]Account, error) {
	var out []Account
	var token *string
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("organizations ListAccounts: still a NextToken after %d pages", maxPages)
		}
		res, err := api.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("organizations ListAccounts (page %d): %w", page+1, err)
		}
		for _, a := range res.Accounts {
			if a.State != types.AccountStateActive || aws.ToString(a.Id) == "" {
				continue
			}
			out = append(out, Account{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name)})
		}
		if aws.ToString(res.NextToken) == "" {
			return out, nil
		}
		token = res.NextToken
	}
}

// DescribeAPI is the part of *organizations.Client that Lookup uses.
type DescribeAPI interface {
	DescribeAccount(ctx context.Context, in *organizations.DescribeAccountInput, optFns ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error)
}

var _ DescribeAPI = (*organizations.Client)(nil)

// Lookup answers "is this account an ACTIVE member?" for the event path with one
// organizations:DescribeAccount per account, cached: an ACTIVE member for TTL, anything else for
// NegativeTTL (short, so that a new account is served soon after it joins and a suspended one is
// refused soon after). Listing the organization instead would cost ceil(accounts/20)
// ListAccounts calls on every cold start of the function.
//
// DescribeAccount answers AccountNotFoundException for an account outside the organization
// (https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeAccount.html); that
// is ErrNotMember. Any other failure (throttling, AccessDenied) is returned as it is, uncached, and
// never reads as "not a member".
type Lookup struct {
	API         DescribeAPI
	TTL         time.Duration    // DefaultTTL when 0
	NegativeTTL time.Duration    // DefaultNegativeTTL when 0
	Now         func() time.Time // time.Now when nil

	mu    sync.Mutex
	cache map[string]lookupEntry
}

type lookupEntry struct {
	err error // nil: ACTIVE member
	at  time.Time
}

// Defaults for Lookup.
const (
	DefaultTTL         = 15 * time.Minute
	DefaultNegativeTTL = 30 * time.Second
)

// ErrNotMember: the account is not an ACTIVE account of the organization.
var ErrNotMember = errors.New("not an ACTIVE account of the organization")

// Check returns nil when account is an ACTIVE account of the organization, an error wrapping
// ErrNotMember when it is not (outside the organization, or suspended, closing, closed), and any
// other error when Organizations could not answer.
func (l *Lookup) Check(ctx context.Context, account string) error {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.cache[account]; ok {
		ttl := l.TTL
		if ttl <= 0 {
			ttl = DefaultTTL
		}
		if e.err != nil {
			ttl = l.NegativeTTL
			if ttl <= 0 {
				ttl = DefaultNegativeTTL
			}
		}
		if now().Sub(e.at) < ttl {
			return e.err
		}
	}
	out, err := l.API.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(account)})
	var verdict error
	switch {
	case err != nil:
		if _, ok := errors.AsType[*types.AccountNotFoundException](err); !ok {
			return fmt.Errorf("organizations DescribeAccount %s: %w", account, err)
		}
		verdict = fmt.Errorf("account %s: %w", account, ErrNotMember)
	case out.Account == nil || out.Account.State != types.AccountStateActive:
		state := "unknown"
		if out.Account != nil && out.Account.State != "" {
			state = string(out.Account.State)
		}
		verdict = fmt.Errorf("account %s (state %s): %w", account, state, ErrNotMember)
	}
	if l.cache == nil {
		l.cache = map[string]lookupEntry{}
	}
	l.cache[account] = lookupEntry{err: verdict, at: now()}
	return verdict
}
