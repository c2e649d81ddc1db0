package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/source-identity-guard/source-identity-guard/shared/accountroles"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/orgsweep"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
)

const (
	modelOpen      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	modelCompliant = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`
)

// modelIAM is one account's IAM: its roles in memory, every call sleeping its latency.
type modelIAM struct {
	o     options
	mu    sync.Mutex
	roles []iamrole.Role
	calls atomic.Int64
}

func newModelIAM(o options, account string) *modelIAM {
	m := &modelIAM{o: o}
	open := int(float64(o.roles)*o.open + 0.5)
	for i := range o.roles {
		p := modelCompliant
		if i < open {
			p = modelOpen
		}
		name := fmt.Sprintf("role-%05d", i)
		m.roles = append(m.roles, iamrole.Role{Name: name, Path: "/", ARN: "arn:aws:iam::" + account + ":role/" + name, TrustPolicy: []byte(p)})
	}
	return m
}

func (m *modelIAM) ListPage(ctx context.Context, marker string) ([]iamrole.Role, string, error) {
	m.calls.Add(1)
	time.Sleep(m.o.listLatency)
	m.mu.Lock()
	defer m.mu.Unlock()
	start := 0
	if marker != "" {
		fmt.Sscanf(marker, "%d", &start)
	}
	end := min(start+1000, len(m.roles))
	page := append([]iamrole.Role(nil), m.roles[start:end]...)
	next := ""
	if end < len(m.roles) {
		next = fmt.Sprint(end)
	}
	return page, next, nil
}

func (m *modelIAM) Get(ctx context.Context, name string) (iamrole.Role, error) {
	m.calls.Add(1)
	time.Sleep(m.o.tagsLatency)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.roles {
		if r.Name == name {
			r.Tags = map[string]string{}
			return r, nil
		}
	}
	return iamrole.Role{}, iamrole.ErrNotFound
}

func (m *modelIAM) Tags(ctx context.Context, name string) (map[string]string, error) {
	m.calls.Add(1)
	time.Sleep(m.o.tagsLatency)
	return map[string]string{}, nil
}

func (m *modelIAM) UpdateTrustPolicy(ctx context.Context, name string, p []byte) error {
	m.calls.Add(1)
	time.Sleep(m.o.writeLatency)
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.roles {
		if m.roles[i].Name == name {
			m.roles[i].TrustPolicy = p
		}
	}
	return nil
}

// modelSTS answers AssumeRole after its latency with one-hour credentials.
type modelSTS struct {
	o     options
	calls atomic.Int64
}

func (s *modelSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	s.calls.Add(1)
	time.Sleep(s.o.assumeLatency)
	exp := time.Now().Add(time.Hour)
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIAMODEL"),
		SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: &exp}}, nil
}

type modelStore struct {
	o options
	v []byte
}

func (s *modelStore) Load(context.Context) ([]byte, error) {
	time.Sleep(s.o.publishLatency)
	return s.v, nil
}
func (s *modelStore) Save(_ context.Context, v []byte) error {
	time.Sleep(s.o.publishLatency)
	s.v = v
	return nil
}

type modelBus struct {
	o      options
	events atomic.Int64
}

func (b *modelBus) Publish(_ context.Context, evs []sweep.Event) (int, error) {
	time.Sleep(b.o.publishLatency)
	b.events.Add(int64(len(evs)))
	return 0, nil
}

func job(o options, roles sweep.Roles, bus *modelBus, account string) *sweep.Job {
	return &sweep.Job{
		Sweeper:   &sweep.Sweeper{Roles: roles, Policy: guard.Policy{Mode: guard.ModeRequire}},
		Positions: &modelStore{o: o},
		Publisher: bus,
		Account:   account,
	}
}

func sweepBench(ctx context.Context, w io.Writer, o options) error {
	fmt.Fprintf(w, "== Sweep: %d accounts x %d roles vs 1 x %d (in-process IAM model, %.0f%% of roles need a fix)\n",
		o.accounts, o.roles, o.roles, 100*o.open)
	fmt.Fprintf(w, "   model latencies: ListRoles page %v, ListRoleTags/GetRole %v, UpdateAssumeRolePolicy %v, AssumeRole %v, PutEvents/SSM %v\n",
		o.listLatency, o.tagsLatency, o.writeLatency, o.assumeLatency, o.publishLatency)

	// One account, as SWEEP_SCOPE=account runs it.
	single := newModelIAM(o, "111111111111")
	bus := &modelBus{o: o}
	t0 := time.Now()
	s1, err := job(o, single, bus, "111111111111").Run(ctx)
	if err != nil {
		return err
	}
	oneAccount := time.Since(t0)

	// The organization, as SWEEP_SCOPE=organization runs it: the hub plus members.
	hub := "100000000000"
	ids := []string{hub}
	for i := 1; i < o.accounts; i++ {
		ids = append(ids, fmt.Sprintf("1000000000%02d", i))
	}
	models := map[string]*modelIAM{}
	for _, id := range ids {
		models[id] = newModelIAM(o, id)
	}
	stsModel := &modelSTS{o: o}
	set, err := accountroles.New(accountroles.Config{Own: hub, RoleName: "source-identity-guard/member", STS: stsModel},
		sweep.Roles(models[hub]), func(account string, _ aws.CredentialsProvider) sweep.Roles { return models[account] })
	if err != nil {
		return err
	}
	orgBus := &modelBus{o: o}
	r := &orgsweep.Runner{Hub: hub, Publisher: orgBus,
		Accounts: func(context.Context) ([]string, error) { time.Sleep(o.publishLatency); return ids, nil },
		Job: func(ctx context.Context, account string) (*sweep.Job, error) {
			roles, err := set.For(ctx, account)
			if err != nil {
				return nil, err
			}
			return job(o, roles, orgBus, account), nil
		}}
	t0 = time.Now()
	sum, err := r.Run(ctx)
	if err != nil {
		return err
	}
	org := time.Since(t0)
	for id, m := range models {
		for _, role := range m.roles {
			if string(role.TrustPolicy) == modelOpen {
				return fmt.Errorf("account %s: role %s left open", id, role.Name)
			}
		}
	}
	ratio := org.Seconds() / oneAccount.Seconds()
	fmt.Fprintf(w, "   one account:  %v (%d roles, %d patched, %d IAM calls)\n", oneAccount.Round(time.Millisecond), s1.Roles, s1.Counts[guard.Patched], single.calls.Load())
	fmt.Fprintf(w, "   organization: %v (%d accounts, %d roles, %d patched, %d accounts at once, %d AssumeRole, completed %v)\n",
		org.Round(time.Millisecond), sum.Accounts, sum.Roles, sum.Counts[guard.Patched], sum.Parallel, stsModel.calls.Load(), sum.Completed)
	fmt.Fprintf(w, "   organization / one account = %.2fx (goal <= 2x: %s)\n", ratio, verdict(ratio <= 2))
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}
