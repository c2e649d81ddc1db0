// Package orgaccounts is the only AWS Organizations I/O of the project: it lists the accounts of
// the organization (organizations:ListAccounts, every page) and keeps those whose State is
// ACTIVE, and it answers "is this account an active member?" from a list it refreshes.
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
	"slices"
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

// Directory answers membership questions from a list it refreshes: at most every MaxAge, and
// sooner (but not more often than every MinAge) when asked about an account it does not hold,
// so that a newly created account is served within MinAge of its first event while a flood of
// events naming strangers costs at most one ListAccounts pass per MinAge. When a listing fails,
// the accounts of the last good list are still served.
type Directory struct {
	API    API
	MaxAge time.Duration    // DefaultMaxAge when 0
	MinAge time.Duration    // DefaultMinAge when 0
	Now    func() time.Time // time.Now when nil

	mu      sync.Mutex
	active  map[string]bool
	fetched time.Time
}

// Defaults for Directory.
const (
	DefaultMaxAge = 15 * time.Minute
	DefaultMinAge = 30 * time.Second
)

// ErrNotMember: the account is not an ACTIVE account of the organization.
var ErrNotMember = errors.New("not an ACTIVE account of the organization")

// Check returns nil when account is an ACTIVE account of the organization, an error wrapping
// ErrNotMember when it is not, and any other error when the organization could not be listed.
func (d *Directory) Check(ctx context.Context, account string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	age := now.Sub(d.fetched)
	stale := d.active == nil || age >= d.maxAge()
	if !stale && !d.active[account] && age >= d.minAge() {
		stale = true
	}
	if stale {
		accounts, err := List(ctx, d.API)
		if err != nil {
			// A listing that fails (throttled, say) does not turn known members away: the list
			// already held still answers for them, and the next check lists again. An account
			// the list does not hold gets the error, never ErrNotMember.
			if d.active[account] {
				return nil
			}
			return fmt.Errorf("check account %s: %w", account, err)
		}
		d.active = make(map[string]bool, len(accounts))
		for _, a := range accounts {
			d.active[a.ID] = true
		}
		d.fetched = now
	}
	if !d.active[account] {
		return fmt.Errorf("account %s: %w", account, ErrNotMember)
	}
	return nil
}

// Accounts returns the ACTIVE account ids the directory holds now, sorted (nil before the first
// Check).
func (d *Directory) Accounts() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for a := range d.active {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

func (d *Directory) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Directory) maxAge() time.Duration {
	if d.MaxAge > 0 {
		return d.MaxAge
	}
	return DefaultMaxAge
}

func (d *Directory) minAge() time.Duration {
	if d.MinAge > 0 {
		return d.MinAge
	}
	return DefaultMinAge
}
