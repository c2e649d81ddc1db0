// Package orgsweep runs the single-account sweep (shared/sweep's Job) over every ACTIVE account
// of an organization: a bounded number of accounts at once, one resume position per account, one
// "Sweep Summary" event per account (published by that account's Job) and one for the
// organization (published here, with scope "organization").
//
// Why in parallel, and how many: IAM's API rate limits apply per account, so sweeping accounts
// side by side does not make them throttle each other; the wall time of an organization sweep
// should be close to that of its largest account rather than the sum. Parallel bounds how many
// accounts are in flight (memory: each Job holds one ListRoles page; and the hub's own STS and
// EventBridge calls).
//
// An account the hub cannot reach (not an ACTIVE member, or its member role cannot be assumed)
// does not stop the others: it becomes a published "failed" Trust Policy Decision naming the
// account and the reason, plus that account's Sweep Summary (completed false, stopReason
// "error"), and it is counted in the organization summary's accountsFailed.
//
// The package does no AWS I/O and imports no AWS SDK: main gives it the account list and a JobFor that builds each
// account's Job from the account's IAM client (accountroles) and position store.
package orgsweep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/emf"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// Scope values of the SWEEP_SCOPE variable and of Summary.Scope.
const (
	ScopeAccount      = "account"
	ScopeOrganization = "organization"
)

// DefaultParallel is how many accounts are swept at once when Runner.Parallel is 0: enough for
// an organization of ten accounts to take about as long as its largest (cmd/benchorg).
const DefaultParallel = 10

// MaxParallel bounds Runner.Parallel.
const MaxParallel = 32

// Accounts lists the ids of the organization's ACTIVE accounts (main binds orgaccounts.List to a
// client).
type Accounts func(ctx context.Context) ([]string, error)

// JobFor builds the sweep Job of one account. An error (an *accountroles.Error, typically)
// means the account cannot be swept this run.
type JobFor func(ctx context.Context, account string) (*sweep.Job, error)

// Runner sweeps an organization.
type Runner struct {
	Hub       string   // the hub's account id (the org summary's account)
	Accounts  Accounts // required
	Job       JobFor   // required
	Parallel  int      // accounts at once; DefaultParallel when 0
	Publisher sweep.Publisher
	// Calls returns the AWS calls made so far by operation, every account's together (nil: no
	// counts); the summary reports those of the run.
	Calls   func() map[string]int
	Metrics *emf.Writer // nil writes no metrics
	Logger  *slog.Logger
	Now     func() time.Time
}

// AccountResult is one account's line in the organization summary.
type AccountResult struct {
	Account         string                 `json:"account"`
	Completed       bool                   `json:"completed"`
	Roles           int                    `json:"roles"`
	Counts          map[guard.Decision]int `json:"counts"`
	ComplianceRatio float64                `json:"complianceRatio"`
	DurationMS      int64                  `json:"durationMs"`
	StopReason      string                 `json:"stopReason,omitempty"`
	Error           string                 `json:"error,omitempty"`
}

// Summary is the organization's "Sweep Summary" (Scope "organization").
type Summary struct {
	Scope   string `json:"scope"`
	Account string `json:"account"` // the hub
	// Completed: every listed account was reached and swept to its last role in this run.
	Completed         bool                   `json:"completed"`
	Accounts          int                    `json:"accounts"`
	AccountsCompleted int                    `json:"accountsCompleted"`
	AccountsFailed    int                    `json:"accountsFailed"`
	Roles             int                    `json:"roles"`
	Counts            map[guard.Decision]int `json:"counts"`
	// Judged counts the roles with a verdict on their trust policy (all but exempt and
	// skipped); ComplianceRatio is compliant plus patched over Judged, 0 when nothing was judged.
	Judged          int             `json:"judged"`
	ComplianceRatio float64         `json:"complianceRatio"`
	Parallel        int             `json:"parallel"`
	Started         time.Time       `json:"started"`
	DurationMS      int64           `json:"durationMs"`
	PerAccount      []AccountResult `json:"perAccount"`
	APICalls        map[string]int  `json:"apiCalls,omitempty"`
	EventsPublished int             `json:"eventsPublished"`
	EventsFailed    int             `json:"eventsFailed"`
	Error           string          `json:"error,omitempty"`
	Warnings        []string        `json:"warnings,omitempty"`
}

// Metric names (namespace emf.Namespace), dimension scope=organization.
const (
	MetricAccounts       = "SweepAccounts"       // accounts listed
	MetricAccountsFailed = "SweepAccountsFailed" // accounts not reached or not listed to the end
)

// Run lists the accounts and sweeps them. The error is non-nil when the organization could not
// be listed or an account's Job failed (could not list roles or save its position); accounts
// that cannot be reached are decisions, not errors.
func (r *Runner) Run(ctx context.Context) (Summary, error) {
	now := r.Now
	if now == nil {
		now = time.Now
	}
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	par := r.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	par = min(par, MaxParallel)
	start := now()
	var before map[string]int
	if r.Calls != nil {
		before = r.Calls()
	}
	sum := Summary{Scope: ScopeOrganization, Account: r.Hub, Counts: map[guard.Decision]int{}, Parallel: par,
		Started: start, PerAccount: []AccountResult{}}

	accounts, err := r.Accounts(ctx)
	if err != nil {
		err = fmt.Errorf("list the organization's accounts: %w", err)
		sum.Error = err.Error()
		sum.DurationMS = now().Sub(start).Milliseconds()
		r.publishSummary(ctx, log, &sum)
		return sum, err
	}
	accounts = dedupe(accounts)
	sum.Accounts = len(accounts)
	results := make([]AccountResult, len(accounts))
	errs := make([]error, len(accounts))
	events := make([][2]int, len(accounts)) // published, failed
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, a := range accounts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], events[i], errs[i] = r.account(ctx, log, a)
		}()
	}
	wg.Wait()

	for i, res := range results {
		sum.PerAccount = append(sum.PerAccount, res)
		sum.Roles += res.Roles
		for d, n := range res.Counts {
			sum.Counts[d] += n
		}
		if res.Completed {
			sum.AccountsCompleted++
		} else if res.Error != "" {
			sum.AccountsFailed++
		}
		sum.EventsPublished += events[i][0]
		sum.EventsFailed += events[i][1]
	}
	sum.Completed = sum.AccountsCompleted == sum.Accounts
	sum.Judged, sum.ComplianceRatio = Ratio(sum.Counts)
	sum.DurationMS = now().Sub(start).Milliseconds()
	if r.Calls != nil {
		sum.APICalls = map[string]int{}
		for op, n := range r.Calls() {
			if d := n - before[op]; d > 0 {
				sum.APICalls[op] = d
			}
		}
	}
	runErr := errors.Join(errs...)
	if runErr != nil {
		sum.Error = runErr.Error()
	}
	r.publishSummary(ctx, log, &sum)
	r.metrics(ctx, log, sum)
	log.InfoContext(ctx, "organization sweep run", slog.Bool("completed", sum.Completed),
		slog.Int("accounts", sum.Accounts), slog.Int("accountsFailed", sum.AccountsFailed),
		slog.Int("roles", sum.Roles), slog.Any("counts", sum.Counts), slog.Int64("durationMs", sum.DurationMS))
	return sum, runErr
}

// account sweeps one account; it returns the account's line, its decision events (published,
// failed) and the Job's error.
func (r *Runner) account(ctx context.Context, log *slog.Logger, account string) (AccountResult, [2]int, error) {
	now := r.Now
	if now == nil {
		now = time.Now
	}
	begin := now()
	job, err := r.Job(ctx, account)
	if err != nil {
		return r.unreachable(ctx, log, account, err, begin), [2]int{}, nil
	}
	job.Account = account
	s, runErr := job.Run(ctx)
	res := AccountResult{Account: account, Completed: s.Completed, Roles: s.Roles, Counts: s.Counts,
		ComplianceRatio: s.ComplianceRatio, DurationMS: s.DurationMS, StopReason: s.StopReason, Error: s.Error}
	if runErr != nil && res.Error == "" {
		res.Error = runErr.Error()
	}
	if runErr != nil {
		runErr = fmt.Errorf("account %s: %w", account, runErr)
	}
	return res, [2]int{s.EventsPublished, s.EventsFailed}, runErr
}

// unreachable publishes the failed decision and the account summary of an account that could
// not be swept.
func (r *Runner) unreachable(ctx context.Context, log *slog.Logger, account string, cause error, begin time.Time) AccountResult {
	now := r.Now
	if now == nil {
		now = time.Now
	}
	reason := "sweep not run: " + cause.Error()
	log.WarnContext(ctx, "account not swept", "account", account, "err", cause)
	de := guard.DecisionEvent{Account: account, Decision: guard.Failed, Reason: reason,
		Mode: "", Findings: []trustpolicy.Finding{}}
	acctSum := sweep.Summary{Account: account, Counts: map[guard.Decision]int{}, Started: begin,
		StopReason: "error", Error: reason, DurationMS: now().Sub(begin).Milliseconds()}
	if r.Publisher != nil {
		n, err := r.Publisher.Publish(ctx, []sweep.Event{
			{DetailType: guard.EventDetailType, Detail: de},
			{DetailType: sweep.SummaryDetailType, Detail: acctSum},
		})
		if err != nil {
			log.ErrorContext(ctx, "failed decision of an unreachable account not published", "account", account, "failed", n, "err", err)
		}
	}
	return AccountResult{Account: account, Counts: map[guard.Decision]int{}, StopReason: "error", Error: reason,
		DurationMS: acctSum.DurationMS}
}

func (r *Runner) publishSummary(ctx context.Context, log *slog.Logger, sum *Summary) {
	if r.Publisher == nil {
		return
	}
	if _, err := r.Publisher.Publish(ctx, []sweep.Event{{DetailType: sweep.SummaryDetailType, Detail: *sum}}); err != nil {
		log.ErrorContext(ctx, "organization sweep summary not published", "err", err)
		sum.Warnings = append(sum.Warnings, "summary not published: "+err.Error())
	}
}

func (r *Runner) metrics(ctx context.Context, log *slog.Logger, sum Summary) {
	if r.Metrics == nil {
		return
	}
	dims := []emf.Dimension{{Name: "scope", Value: ScopeOrganization}}
	if err := r.Metrics.Put(dims,
		emf.Metric{Name: MetricAccounts, Unit: emf.Count, Value: float64(sum.Accounts)},
		emf.Metric{Name: MetricAccountsFailed, Unit: emf.Count, Value: float64(sum.Accounts - sum.AccountsCompleted)},
	); err != nil {
		log.ErrorContext(ctx, "organization sweep metrics not written", "err", err)
	}
}

// Ratio returns the judged roles (all but exempt and skipped) and the share of them that
// comply (compliant plus patched); 0 when nothing was judged, so that an empty run never reads
// as fully compliant.
func Ratio(c map[guard.Decision]int) (judged int, ratio float64) {
	ok := c[guard.Compliant] + c[guard.Patched]
	for d, n := range c {
		if d != guard.Exempt && d != guard.Skipped {
			judged += n
		}
	}
	if judged == 0 {
		return 0, 0
	}
	return judged, float64(ok) / float64(judged)
}

// dedupe drops repeated ids, keeping the first.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
