package orgsweep

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/accountroles"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
)

const (
	open      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`
	compliant = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`
)

// account is one account's IAM in memory.
type account struct {
	id      string
	mu      sync.Mutex
	roles   []iamrole.Role
	written map[string]string
	onList  func() // called inside ListPage (concurrency probe)
}

func newAccount(id string, policies ...string) *account {
	a := &account{id: id, written: map[string]string{}}
	for i, p := range policies {
		name := "role-" + string(rune('a'+i))
		a.roles = append(a.roles, iamrole.Role{Name: name, Path: "/", ARN: "arn:aws:iam::" + id + ":role/" + name, TrustPolicy: []byte(p)})
	}
	return a
}

func (a *account) ListPage(context.Context, string) ([]iamrole.Role, string, error) {
	if a.onList != nil {
		a.onList()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]iamrole.Role(nil), a.roles...), "", nil
}

func (a *account) Get(_ context.Context, name string) (iamrole.Role, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.roles {
		if r.Name == name {
			r.Tags = map[string]string{}
			return r, nil
		}
	}
	return iamrole.Role{}, iamrole.ErrNotFound
}

func (a *account) Tags(context.Context, string) (map[string]string, error) {
	return map[string]string{}, nil
}

func (a *account) UpdateTrustPolicy(_ context.Context, name string, p []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.written[name] = string(p)
	for i := range a.roles {
		if a.roles[i].Name == name {
			a.roles[i].TrustPolicy = p
		}
	}
	return nil
}

type store struct{ v []byte }

func (s *store) Load(context.Context) ([]byte, error)   { return s.v, nil }
func (s *store) Save(_ context.Context, v []byte) error { s.v = v; return nil }

// bus records published events as decoded JSON.
type bus struct {
	mu     sync.Mutex
	events []map[string]any
}

func (b *bus) Publish(_ context.Context, evs []sweep.Event) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range evs {
		raw, _ := json.Marshal(e.Detail)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		m["detail-type"] = e.DetailType
		b.events = append(b.events, m)
	}
	return 0, nil
}

func (b *bus) find(detailType string, match func(map[string]any) bool) []map[string]any {
	var out []map[string]any
	for _, e := range b.events {
		if e["detail-type"] == detailType && match(e) {
			out = append(out, e)
		}
	}
	return out
}

func jobs(accts map[string]*account, unreachable map[string]error, b *bus) JobFor {
	return func(_ context.Context, id string) (*sweep.Job, error) {
		if err := unreachable[id]; err != nil {
			return nil, err
		}
		a := accts[id]
		return &sweep.Job{
			Sweeper:   &sweep.Sweeper{Roles: a, Policy: guard.Policy{Mode: guard.ModeRequire}},
			Positions: &store{},
			Publisher: b,
		}, nil
	}
}

func TestRunCoversEveryAccountAndReportsTheUnreachable(t *testing.T) {
	hub := newAccount("111111111111", open, compliant)
	a := newAccount("222222222222", open, open, compliant)
	accts := map[string]*account{hub.id: hub, a.id: a}
	missing := &accountroles.Error{Account: "333333333333", RoleARN: "arn:aws:iam::333333333333:role/m",
		Reason: accountroles.ErrAssume, Err: errors.New("AccessDenied")}
	b := &bus{}
	r := &Runner{Hub: hub.id, Publisher: b, Parallel: 2,
		Accounts: func(context.Context) ([]string, error) {
			return []string{hub.id, a.id, "333333333333", a.id}, nil // a duplicate is swept once
		},
		Job: jobs(accts, map[string]error{"333333333333": missing}, b)}
	sum, err := r.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Each account's open roles were patched in that account, and nowhere else.
	if diff := cmp.Diff([]string{"role-a"}, keys(hub.written)); diff != "" {
		t.Errorf("hub writes: %s", diff)
	}
	if diff := cmp.Diff([]string{"role-a", "role-b"}, keys(a.written)); diff != "" {
		t.Errorf("account A writes: %s", diff)
	}
	if sum.Accounts != 3 || sum.AccountsCompleted != 2 || sum.AccountsFailed != 1 || sum.Completed ||
		sum.Roles != 5 || sum.Counts[guard.Patched] != 3 || sum.Counts[guard.Compliant] != 2 || sum.Judged != 5 ||
		sum.ComplianceRatio != 1 || sum.Account != hub.id || sum.Scope != ScopeOrganization {
		t.Errorf("org summary = %+v", sum)
	}
	// One Sweep Summary per account, each with its account, plus one for the organization.
	for _, id := range []string{hub.id, a.id, "333333333333"} {
		got := b.find(sweep.SummaryDetailType, func(e map[string]any) bool { return e["account"] == id && e["scope"] == nil })
		if len(got) != 1 {
			t.Errorf("account %s: %d summaries; want 1 (%v)", id, len(got), b.events)
		}
	}
	if got := b.find(sweep.SummaryDetailType, func(e map[string]any) bool { return e["scope"] == ScopeOrganization }); len(got) != 1 {
		t.Errorf("%d organization summaries; want 1", len(got))
	}
	// The unreachable account is a published failed decision naming it and the reason.
	failed := b.find(guard.EventDetailType, func(e map[string]any) bool { return e["decision"] == string(guard.Failed) })
	if len(failed) != 1 || failed[0]["account"] != "333333333333" ||
		!strings.Contains(failed[0]["reason"].(string), "member role cannot be assumed") {
		t.Errorf("failed decisions = %v", failed)
	}
	// Every decision event carries its account, the account of its role.
	for _, e := range b.find(guard.EventDetailType, func(map[string]any) bool { return true }) {
		if arn, _ := e["roleArn"].(string); arn != "" && !strings.Contains(arn, ":"+e["account"].(string)+":") {
			t.Errorf("decision %v: account does not match the role", e)
		}
	}
}

func TestRunBoundsParallelAccounts(t *testing.T) {
	for _, par := range []int{1, 3} {
		var inFlight, peak atomic.Int32
		accts := map[string]*account{}
		var ids []string
		for i := range 8 {
			id := "22222222220" + string(rune('0'+i))
			a := newAccount(id, compliant)
			a.onList = func() {
				n := inFlight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
				inFlight.Add(-1)
			}
			accts[id] = a
			ids = append(ids, id)
		}
		b := &bus{}
		r := &Runner{Hub: ids[0], Publisher: b, Parallel: par,
			Accounts: func(context.Context) ([]string, error) { return ids, nil }, Job: jobs(accts, nil, b)}
		sum, err := r.Run(t.Context())
		if err != nil || !sum.Completed || sum.Accounts != 8 {
			t.Fatalf("parallel %d: %+v %v", par, sum, err)
		}
		if got := int(peak.Load()); got != par {
			t.Errorf("parallel %d: peak accounts in flight = %d", par, got)
		}
	}
}

func TestRunListFailure(t *testing.T) {
	b := &bus{}
	r := &Runner{Hub: "111111111111", Publisher: b,
		Accounts: func(context.Context) ([]string, error) { return nil, errors.New("AccessDeniedException") },
		Job:      func(context.Context, string) (*sweep.Job, error) { t.Fatal("no job without accounts"); return nil, nil }}
	sum, err := r.Run(t.Context())
	if err == nil || sum.Completed || !strings.Contains(sum.Error, "AccessDeniedException") {
		t.Errorf("sum %+v err %v", sum, err)
	}
	if len(b.find(sweep.SummaryDetailType, func(e map[string]any) bool { return e["scope"] == ScopeOrganization })) != 1 {
		t.Error("the failed run's summary was not published")
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		counts    map[guard.Decision]int
		judged    int
		wantRatio float64
	}{
		{map[guard.Decision]int{}, 0, 0},
		{map[guard.Decision]int{guard.Exempt: 3, guard.Skipped: 1}, 0, 0},
		{map[guard.Decision]int{guard.Compliant: 1, guard.Patched: 1, guard.Failed: 2, guard.Exempt: 5}, 4, 0.5},
	}
	for _, tt := range tests {
		j, r := Ratio(tt.counts)
		if j != tt.judged || r != tt.wantRatio {
			t.Errorf("Ratio(%v) = %d, %v", tt.counts, j, r)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	if len(out) > 1 && out[0] > out[1] {
		out[0], out[1] = out[1], out[0]
	}
	return out
}
