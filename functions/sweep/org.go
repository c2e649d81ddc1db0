package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/source-identity-guard/source-identity-guard/shared/accountroles"
	"github.com/source-identity-guard/source-identity-guard/shared/apicalls"
	"github.com/source-identity-guard/source-identity-guard/shared/awsconfig"
	"github.com/source-identity-guard/source-identity-guard/shared/checkpoint"
	"github.com/source-identity-guard/source-identity-guard/shared/emf"
	"github.com/source-identity-guard/source-identity-guard/shared/eventbus"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/kmsmac"
	"github.com/source-identity-guard/source-identity-guard/shared/lease"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/orgaccounts"
	"github.com/source-identity-guard/source-identity-guard/shared/orgsweep"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
)

// Environment variables of the organization scope (docs/organization.md).
const (
	EnvScope              = "SWEEP_SCOPE"               // account (default) | organization
	EnvMemberRoleName     = "MEMBER_ROLE_NAME"          // role assumed in the other accounts; may carry a path
	EnvAccountConcurrency = "SWEEP_ACCOUNT_CONCURRENCY" // accounts swept at once (default 10, 1-32)
)

// sweepScope reads SWEEP_SCOPE.
func sweepScope(lookup func(string) (string, bool)) (string, error) {
	v, _ := lookup(EnvScope)
	switch v = strings.TrimSpace(v); v {
	case "", orgsweep.ScopeAccount:
		return orgsweep.ScopeAccount, nil
	case orgsweep.ScopeOrganization:
		return v, nil
	}
	return "", fmt.Errorf("%s: %q: want %s or %s", EnvScope, v, orgsweep.ScopeAccount, orgsweep.ScopeOrganization)
}

// orgHandler runs one organization sweep per invocation.
type orgHandler struct {
	runner *orgsweep.Runner
	// lock keeps two organization sweeps from running at once (the same lease the account
	// scope takes); nil only when SWEEP_LOCK_TABLE is unset (tests and tools).
	lock   sweep.Lock
	logger *slog.Logger
}

// Handle runs the organization sweep; the error (Lambda's Errors alarm) when the accounts could
// not be listed or an account's sweep could not list roles or save its position, or when
// another sweep holds the lease (nothing was judged: the run says so instead of reporting).
func (h *orgHandler) Handle(ctx context.Context, _ events.CloudWatchEvent) (orgsweep.Summary, error) {
	if h.lock != nil {
		owner := "sweep"
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			owner = lc.AwsRequestID
		}
		lease := 15 * time.Minute
		if dl, ok := ctx.Deadline(); ok {
			lease = time.Until(dl) + time.Minute
		}
		ok, err := h.lock.Acquire(ctx, owner, lease)
		if err != nil {
			return orgsweep.Summary{}, fmt.Errorf("organization sweep: take the sweep lease: %w", err)
		}
		if !ok {
			h.logger.WarnContext(ctx, "another sweep holds the lease; this run judged nothing")
			return orgsweep.Summary{}, errors.New("organization sweep: another sweep is running (lease held); nothing judged")
		}
		defer func() {
			if err := h.lock.Release(context.WithoutCancel(ctx), owner); err != nil {
				h.logger.ErrorContext(ctx, "sweep lease not released", "err", err)
			}
		}()
	}
	return h.runner.Run(ctx)
}

// newOrgHandler wires the organization scope: the account list from Organizations, each
// account's IAM client from accountroles (own account directly, others through the member
// role), each account's position in its own parameter (the hub's in SWEEP_POSITION_PARAMETER,
// another account's in SWEEP_POSITION_PARAMETER/<account>).
func newOrgHandler(ctx context.Context, lookup func(string) (string, bool), logger *slog.Logger, metrics io.Writer) (*orgHandler, error) {
	s, err := loadSettings(lookup)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	roleName, err := accountroles.CleanRoleName(get(EnvMemberRoleName))
	if err != nil {
		return nil, fmt.Errorf("%s=%s needs %s: %w", EnvScope, orgsweep.ScopeOrganization, EnvMemberRoleName, err)
	}
	par := orgsweep.DefaultParallel
	if v := get(EnvAccountConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > orgsweep.MaxParallel {
			return nil, fmt.Errorf("%s: %q is not a whole number from 1 to %d", EnvAccountConcurrency, v, orgsweep.MaxParallel)
		}
		par = n
	}
	counter := &apicalls.Counter{}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Counter: counter})
	if err != nil {
		return nil, err
	}
	stsc := sts.NewFromConfig(cfg)
	hub := s.guard.Account
	if hub == "" {
		// No GUARD_ROLE_ARNS (a local run): ask STS who we are.
		out, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, fmt.Errorf("find the hub's account (sts GetCallerIdentity): %w", err)
		}
		hub = aws.ToString(out.Account)
	}
	partition := "aws"
	if len(s.guard.OwnRoleARNs) > 0 {
		partition = strings.SplitN(s.guard.OwnRoleARNs[0], ":", 3)[1]
	}
	set, err := accountroles.New(accountroles.Config{Own: hub, Partition: partition, RoleName: roleName, STS: stsc},
		iamrole.New(iam.NewFromConfig(cfg)),
		func(_ string, creds aws.CredentialsProvider) *iamrole.Client {
			c := cfg.Copy()
			c.Credentials = creds
			return iamrole.New(iam.NewFromConfig(c))
		})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvMemberRoleName, err)
	}
	fights, err := sweepFights(lookup, cfg, logger) // one write log for every account (role ARNs name it)
	if err != nil {
		return nil, err
	}
	bus := eventbus.New(eventbridge.NewFromConfig(cfg), s.guard.BusName)
	pub := sweep.PublisherFunc(func(ctx context.Context, evs []sweep.Event) (int, error) {
		entries := make([]eventbus.Entry, len(evs))
		for i, e := range evs {
			entries[i] = eventbus.Entry{Source: guard.EventSource, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources}
		}
		return bus.Publish(ctx, entries)
	})
	ssmc := ssm.NewFromConfig(cfg)
	orgc := organizations.NewFromConfig(cfg)
	// The same protections as the account scope: every account's position signed with the
	// sweep's key (bound to its account), the management account read for the AWS-created
	// roles' exemption, one lease for the whole run.
	var signer sweep.Signer
	if s.positionKey != "" {
		signer = kmsmac.New(kms.NewFromConfig(cfg), s.positionKey)
	} else {
		logger.Warn(EnvPositionKey + " not set: the sweep positions are not signed (the template always sets it)")
	}
	mgmt := orgaccounts.NewManagementClient(orgc)
	em := emf.New(metrics, emf.Namespace)
	var promotions sweep.PromotionSource // one Query per account's run
	if v, _ := lookup(EnvPromotionTable); strings.TrimSpace(v) != "" {
		promotions = ledger.New(dynamodb.NewFromConfig(cfg), strings.TrimSpace(v), 0)
	}
	runner := &orgsweep.Runner{
		Hub:      hub,
		Parallel: par,
		Accounts: func(ctx context.Context) ([]string, error) {
			accts, err := orgaccounts.List(ctx, orgc)
			ids := make([]string, len(accts))
			for i, a := range accts {
				ids[i] = a.ID
			}
			return ids, err
		},
		Job: func(ctx context.Context, account string) (*sweep.Job, error) {
			roles, err := set.For(ctx, account)
			if err != nil {
				return nil, err
			}
			param := s.positionParameter
			if account != hub {
				param += "/" + account
			}
			return &sweep.Job{
				Sweeper: &sweep.Sweeper{
					Roles:       roles,
					Policy:      s.guard.Policy,
					Concurrency: s.concurrency,
					Margin:      s.margin,
					Logger:      logger.With("account", account),
					Fights:      fights,
				},
				Positions:    checkpoint.New(ssmc, param),
				Signer:       signer,
				Organization: mgmt,
				Publisher:    pub,
				Promotions:   promotions,
				Account:      account,
				Metrics:      em,
				Logger:       logger.With("account", account),
			}, nil
		},
		Publisher: pub,
		Calls:     counter.Snapshot,
		Metrics:   em,
		Logger:    logger,
	}
	h := &orgHandler{runner: runner, logger: logger}
	if s.lockTable != "" {
		h.lock = lease.New(dynamodb.NewFromConfig(cfg), s.lockTable, "sweep")
	} else {
		logger.Warn(EnvLockTable + " not set: nothing stops two sweeps from overlapping (the template always sets it)")
	}
	return h, nil
}

// orgsweepScopeAccount keeps main.go's edit to one import-free line.
const orgsweepScopeAccount = orgsweep.ScopeAccount
