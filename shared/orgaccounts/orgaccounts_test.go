package orgaccounts

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/google/go-cmp/cmp"
)

// pages is a fake ListAccounts: page i is returned for NextToken "i" ("" for the first).
type pages struct {
	pages [][]types.Account
	errAt int // page index that fails (-1: none)
	calls int
}

func (p *pages) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	p.calls++
	i := 0
	if t := aws.ToString(in.NextToken); t != "" {
		i = int(t[0] - '0')
	}
	if i == p.errAt {
		return nil, errors.New("TooManyRequestsException")
	}
	out := &organizations.ListAccountsOutput{Accounts: p.pages[i]}
	if i+1 < len(p.pages) {
		out.NextToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func acct(id string, s types.AccountState) types.Account {
	return types.Account{Id: aws.String(id), Name: aws.String("n" + id[:3]), State: s}
}

func TestList(t *testing.T) {
	tests := []struct {
		name    string
		pages   [][]types.Account
		errAt   int
		want    []string
		wantErr bool
	}{
		{"one page", [][]types.Account{{acct("111111111111", types.AccountStateActive)}}, -1, []string{"111111111111"}, false},
		{"empty page with a NextToken is not the end", [][]types.Account{
			{acct("111111111111", types.AccountStateActive)}, {}, {acct("222222222222", types.AccountStateActive)}}, -1,
			[]string{"111111111111", "222222222222"}, false},
		{"only ACTIVE", [][]types.Account{{
			acct("111111111111", types.AccountStateSuspended), acct("222222222222", types.AccountStatePendingClosure),
			acct("333333333333", types.AccountStateClosed), acct("444444444444", types.AccountStatePendingActivation),
			acct("555555555555", types.AccountStateActive),
			// Status says ACTIVE but State does not: State decides.
			{Id: aws.String("666666666666"), Status: types.AccountStatusActive}}}, -1,
			[]string{"555555555555"}, false},
		{"a failed page fails the list", [][]types.Account{{acct("111111111111", types.AccountStateActive)}, {}}, 1, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &pages{pages: tt.pages, errAt: tt.errAt}
			got, err := List(t.Context(), api)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			var ids []string
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if !tt.wantErr && api.calls != len(tt.pages) {
				t.Errorf("calls = %d; want %d (every page)", api.calls, len(tt.pages))
			}
		})
	}
}

// describe is a fake DescribeAccount: accounts maps an id to its state; err fails every call.
type describe struct {
	accounts map[string]types.AccountState
	err      error
	calls    int
}

func (d *describe) DescribeAccount(_ context.Context, in *organizations.DescribeAccountInput, _ ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error) {
	d.calls++
	if d.err != nil {
		return nil, d.err
	}
	st, ok := d.accounts[aws.ToString(in.AccountId)]
	if !ok {
		return nil, &types.AccountNotFoundException{Message: aws.String("You specified an account that doesn't exist.")}
	}
	return &organizations.DescribeAccountOutput{Account: &types.Account{Id: in.AccountId, State: st}}, nil
}

func TestLookup(t *testing.T) {
	api := &describe{accounts: map[string]types.AccountState{"111111111111": types.AccountStateActive,
		"222222222222": types.AccountStateSuspended}}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l := &Lookup{API: api, Now: func() time.Time { return now }}
	ctx := t.Context()
	check := func(account string, wantMember bool, wantCalls int) {
		t.Helper()
		err := l.Check(ctx, account)
		if (err == nil) != wantMember || (!wantMember && !errors.Is(err, ErrNotMember)) || api.calls != wantCalls {
			t.Fatalf("%s: err %v, calls %d; want member %v, %d calls", account, err, api.calls, wantMember, wantCalls)
		}
	}
	check("111111111111", true, 1)
	check("111111111111", true, 1)  // cached
	check("222222222222", false, 2) // suspended
	check("999999999999", false, 3) // outside the organization
	check("999999999999", false, 3) // cached refusal
	// The stranger joins; after NegativeTTL its next event is served.
	api.accounts["999999999999"] = types.AccountStateActive
	now = now.Add(DefaultNegativeTTL)
	check("999999999999", true, 4)
	// The member is suspended; after TTL the next check refuses it.
	api.accounts["111111111111"] = types.AccountStateSuspended
	now = now.Add(DefaultTTL)
	check("111111111111", false, 5)
	// An answer that is not AccountNotFound is not "not a member", and is not cached.
	api.err = errors.New("TooManyRequestsException")
	now = now.Add(time.Hour)
	for i := range 2 {
		if err := l.Check(ctx, "111111111111"); err == nil || errors.Is(err, ErrNotMember) || api.calls != 6+i {
			t.Fatalf("throttled: err %v, calls %d", err, api.calls)
		}
	}
}
