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

func TestDirectoryRefresh(t *testing.T) {
	api := &pages{pages: [][]types.Account{{acct("111111111111", types.AccountStateActive)}}, errAt: -1}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	d := &Directory{API: api, MaxAge: 10 * time.Minute, MinAge: time.Minute, Now: func() time.Time { return now }}
	ctx := t.Context()

	if err := d.Check(ctx, "111111111111"); err != nil || api.calls != 1 {
		t.Fatalf("member: err %v, calls %d", err, api.calls)
	}
	// A stranger right after the listing: refused without another call (MinAge).
	if err := d.Check(ctx, "999999999999"); !errors.Is(err, ErrNotMember) || api.calls != 1 {
		t.Fatalf("stranger: err %v, calls %d", err, api.calls)
	}
	// A new account joins; a minute later its first event re-lists once.
	api.pages[0] = append(api.pages[0], acct("222222222222", types.AccountStateActive))
	now = now.Add(time.Minute)
	if err := d.Check(ctx, "222222222222"); err != nil || api.calls != 2 {
		t.Fatalf("new member: err %v, calls %d", err, api.calls)
	}
	// Known members do not re-list until MaxAge.
	now = now.Add(9 * time.Minute)
	if err := d.Check(ctx, "111111111111"); err != nil || api.calls != 2 {
		t.Fatalf("cached member: err %v, calls %d", err, api.calls)
	}
	// The account is suspended; after MaxAge the next check sees it.
	api.pages[0][0].State = types.AccountStateSuspended
	now = now.Add(time.Minute)
	if err := d.Check(ctx, "111111111111"); !errors.Is(err, ErrNotMember) || api.calls != 3 {
		t.Fatalf("suspended: err %v, calls %d", err, api.calls)
	}
	if diff := cmp.Diff([]string{"222222222222"}, d.Accounts()); diff != "" {
		t.Error(diff)
	}
	// A listing failure is not "not a member": a known member is still served from the last
	// good list, an unknown account gets the error.
	api.errAt = 0
	now = now.Add(time.Hour)
	if err := d.Check(ctx, "222222222222"); err != nil {
		t.Fatalf("known member during a list failure: err %v", err)
	}
	if err := d.Check(ctx, "333333333333"); err == nil || errors.Is(err, ErrNotMember) {
		t.Fatalf("unknown account during a list failure: err %v", err)
	}
}
