package promotion

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/emf"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// Roles is what the evaluation needs from IAM (*iamrole.Client).
type Roles interface {
	ListPage(ctx context.Context, marker string) ([]iamrole.Role, string, error)
	Tags(ctx context.Context, name string) (map[string]string, error)
}

// Ledger is what the evaluation needs from the ledger (*ledger.Ledger).
type Ledger interface {
	Aggregate(ctx context.Context, w readiness.Window) (*readiness.Aggregator, error)
	AllPromotions(ctx context.Context) (guard.Promotions, error)
	PutPromotion(ctx context.Context, r Record) error
	// Since returns when evidence collection began (recorded on the first call: the Promote
	// function is deployed with the Collect function).
	Since(ctx context.Context, now time.Time) (time.Time, error)
}

// Event is one event for the findings bus.
type Event struct {
	DetailType string
	Detail     any
	Resources  []string
}

// Publisher sends events (batched by the adapter); failed counts the ones not published.
type Publisher interface {
	Publish(ctx context.Context, events []Event) (failed int, err error)
}

// DecisionEvent is the detail of a ready or promoted "Trust Policy Decision" event: the
// guard's decision event plus the evidence and what to do.
type DecisionEvent struct {
	guard.DecisionEvent
	Evidence Evidence `json:"evidence"`
	Action   string   `json:"action"`
	By       string   `json:"by,omitempty"` // promoted: who
}

// Evaluator is the Promote function's use case: one evaluation of every role of one account.
type Evaluator struct {
	Setting    Setting
	WindowDays int
	Policy     guard.Policy // the guard's policy (the sweep's mode: the estate's mode)
	Roles      Roles
	Ledger     Ledger
	Publisher  Publisher
	Table      string // named in the proposed command
	Account    string
	Now        func() time.Time
	Logger     *slog.Logger
	Metrics    *emf.Writer
}

// Summary is what one evaluation did. Every role is counted once, in the first that applies:
// AlreadyPromoted; NotAllow (audit, require, exempt, own roles); AlreadyRequires (a promotion
// would change nothing: the trust policy already requires a source identity, or a mode tag
// the guard cannot read makes it unfixable either way); NotReady (ConsoleUsed counts those of
// them seen on the console; also ready roles while the evidence does not cover the window);
// Ready (propose: Proposed; auto: Promoted, or Failed when the record was not written). Failed
// also counts roles whose tags could not be read.
type Summary struct {
	Setting         Setting  `json:"setting"`
	WindowStart     string   `json:"windowStart,omitempty"`
	WindowEnd       string   `json:"windowEnd,omitempty"`
	EvidenceSince   string   `json:"evidenceSince,omitempty"`
	Covered         bool     `json:"covered"`
	Roles           int      `json:"roles"`
	NotAllow        int      `json:"notAllow"`
	AlreadyRequires int      `json:"alreadyRequires"`
	AlreadyPromoted int      `json:"alreadyPromoted"`
	Candidates      int      `json:"candidates"`
	NotReady        int      `json:"notReady"`
	ConsoleUsed     int      `json:"consoleUsed"`
	Ready           int      `json:"ready"`
	Proposed        int      `json:"proposed"`
	Promoted        int      `json:"promoted"`
	Failed          int      `json:"failed"`
	EventsPublished int      `json:"eventsPublished"`
	EventsFailed    int      `json:"eventsFailed"`
	Warnings        []string `json:"warnings,omitempty"`
}

// SummaryDetailType is the detail-type of the event an evaluation ends with.
const SummaryDetailType = "Promotion Summary"

// Metric names (namespace emf.Namespace).
const (
	MetricReady     = "PromotionReady"
	MetricPromoted  = "PromotionPromoted"
	MetricNotReady  = "PromotionNotReady"
	MetricFailures  = "PromotionFailures" // records not written plus events not published
	MetricUncovered = "PromotionEvidenceUncovered"
)

// Run evaluates every role. The error is non-nil when roles or evidence could not be read,
// or when a promotion was not recorded or an event not published (the function's Errors
// alarm); the summary says what was done.
func (e *Evaluator) Run(ctx context.Context) (Summary, error) {
	log := e.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sum := Summary{Setting: e.Setting}
	if e.Setting == Off {
		log.InfoContext(ctx, "promotion is off")
		return sum, nil
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	t := now().UTC()
	w := readiness.NewWindow(t, e.WindowDays)
	sum.WindowStart, sum.WindowEnd = w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339)

	since, err := e.Ledger.Since(ctx, t)
	if err != nil {
		return sum, fmt.Errorf("promotion: evidence start: %w", err)
	}
	sum.EvidenceSince = since.UTC().Format(time.RFC3339)
	sum.Covered = Covered(since, w)
	agg, err := e.Ledger.Aggregate(ctx, w)
	if err != nil {
		return sum, fmt.Errorf("promotion: read evidence: %w", err)
	}
	evidence := map[string]readiness.RoleEvidence{}
	for _, ev := range agg.Results() {
		evidence[guard.PromotionKey(ev.Role.ARN)] = ev
	}
	promoted, err := e.Ledger.AllPromotions(ctx)
	if err != nil {
		return sum, fmt.Errorf("promotion: read promotions: %w", err)
	}
	policy := e.Policy
	policy.Promoted = promoted

	var buf []Event
	var errs []error
	flush := func() {
		if len(buf) == 0 {
			return
		}
		n, err := e.Publisher.Publish(ctx, buf)
		sum.EventsFailed += n
		sum.EventsPublished += len(buf) - n
		if err != nil {
			errs = append(errs, fmt.Errorf("publish: %w", err))
		}
		buf = buf[:0]
	}
	marker := ""
	for {
		roles, next, err := e.Roles.ListPage(ctx, marker)
		if err != nil {
			flush()
			errs = append(errs, fmt.Errorf("promotion: list roles: %w", err))
			return e.finish(ctx, log, sum), errors.Join(errs...)
		}
		for _, r := range roles {
			sum.Roles++
			ev, source, ok, err := e.judge(ctx, policy, r, evidence, w, &sum)
			if err != nil {
				errs = append(errs, err)
				sum.Failed++
				continue
			}
			if !ok {
				continue
			}
			de, err := e.act(ctx, r, ev, source, &sum)
			if err != nil {
				errs = append(errs, err)
				sum.Failed++
				continue
			}
			if de != nil {
				buf = append(buf, Event{DetailType: guard.EventDetailType, Detail: *de, Resources: []string{r.ARN}})
				if len(buf) == 10 {
					flush()
				}
			}
		}
		if next == "" {
			break
		}
		marker = next
	}
	flush()
	return e.finish(ctx, log, sum), errors.Join(errs...)
}

// judge returns the evidence of a candidate that is ready, or false (counted).
func (e *Evaluator) judge(ctx context.Context, policy guard.Policy, r iamrole.Role, evidence map[string]readiness.RoleEvidence,
	w readiness.Window, sum *Summary) (readiness.RoleEvidence, string, bool, error) {
	v := policy.Decide(r)
	if v.TagsMatter {
		tags, err := e.Roles.Tags(ctx, r.Name)
		if err != nil {
			return readiness.RoleEvidence{}, "", false, fmt.Errorf("promotion: tags of %s: %w", r.ARN, err)
		}
		r.Tags = tags
		v = policy.Decide(r)
	}
	switch {
	case v.ModeSource == guard.ModeSourcePromotion:
		sum.AlreadyPromoted++
		return readiness.RoleEvidence{}, "", false, nil
	case v.Mode != guard.ModeAllow || v.Decision == guard.Exempt || v.Decision == guard.Tampered || v.Decision == guard.Skipped:
		sum.NotAllow++
		return readiness.RoleEvidence{}, "", false, nil
	case !policy.PromotionMatters(r):
		sum.AlreadyRequires++
		return readiness.RoleEvidence{}, "", false, nil
	}
	sum.Candidates++
	ev, ok := evidence[guard.PromotionKey(r.ARN)]
	if !ok {
		ev = Unassumed(r.ARN, w)
	}
	ev.Role.ARN = r.ARN // the listed ARN, with its path
	if !cleanForAuto(ev) {
		sum.NotReady++
		if consoleUsed(ev) {
			sum.ConsoleUsed++
		}
		return readiness.RoleEvidence{}, "", false, nil
	}
	if !sum.Covered {
		sum.NotReady++ // ready on the evidence, but the evidence does not cover the window yet
		return readiness.RoleEvidence{}, "", false, nil
	}
	sum.Ready++
	return ev, v.ModeSource, true, nil
}

// act proposes or promotes a ready role.
func (e *Evaluator) act(ctx context.Context, r iamrole.Role, ev readiness.RoleEvidence, source string, sum *Summary) (*DecisionEvent, error) {
	base := guard.DecisionEvent{RoleARN: r.ARN, RoleName: r.Name, Account: e.account(r.ARN), Mode: guard.ModeAllow,
		ModeSource: source, Findings: []trustpolicy.Finding{}}
	base.Reason = "ready for require: " + readiness.Reason(ev)
	if e.Setting == Propose {
		base.Decision = guard.Ready
		sum.Proposed++
		return &DecisionEvent{DecisionEvent: base, Evidence: EvidenceOf(ev),
			Action: fmt.Sprintf("sidguard promote --table %s --role %s", e.tableName(), r.ARN)}, nil
	}
	rec, err := Decide(Request{RoleARN: r.ARN, Evidence: ev, By: ByAuto, Now: e.now()})
	if err != nil {
		sum.Ready--
		sum.NotReady++
		return nil, nil
	}
	if err := e.Ledger.PutPromotion(ctx, rec); err != nil {
		return nil, fmt.Errorf("promotion: record %s: %w", r.ARN, err)
	}
	sum.Promoted++
	base.Decision, base.Mode, base.ModeSource = guard.Promoted, guard.ModeRequire, guard.ModeSourcePromotion
	base.Reason = "promoted to require: " + readiness.Reason(ev)
	return &DecisionEvent{DecisionEvent: base, Evidence: rec.Evidence, By: rec.By,
		Action: "none: the guard now judges this role under require (its next event or sweep patches it)"}, nil
}

func (e *Evaluator) finish(ctx context.Context, log *slog.Logger, sum Summary) Summary {
	if sum.Setting != Off && !sum.Covered {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("evidence only since %s: it does not cover the %d-day window yet; nothing proposed or promoted",
			sum.EvidenceSince, e.WindowDays))
	}
	if _, err := e.Publisher.Publish(ctx, []Event{{DetailType: SummaryDetailType, Detail: sum}}); err != nil {
		sum.Warnings = append(sum.Warnings, "summary not published: "+err.Error())
	}
	if e.Metrics != nil {
		uncovered := 0.0
		if !sum.Covered {
			uncovered = 1
		}
		if err := e.Metrics.Put(nil,
			emf.Metric{Name: MetricReady, Unit: emf.Count, Value: float64(sum.Ready)},
			emf.Metric{Name: MetricPromoted, Unit: emf.Count, Value: float64(sum.Promoted)},
			emf.Metric{Name: MetricNotReady, Unit: emf.Count, Value: float64(sum.NotReady)},
			emf.Metric{Name: MetricFailures, Unit: emf.Count, Value: float64(sum.Failed + sum.EventsFailed)},
			emf.Metric{Name: MetricUncovered, Unit: emf.Count, Value: uncovered},
		); err != nil {
			log.ErrorContext(ctx, "promotion metrics not written", "err", err)
		}
	}
	log.InfoContext(ctx, "promotion evaluation", "summary", sum)
	return sum
}

func (e *Evaluator) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Evaluator) tableName() string {
	if e.Table == "" {
		return "TABLE"
	}
	return e.Table
}

func (e *Evaluator) account(arn string) string {
	if e.Account != "" {
		return e.Account
	}
	if r, ok := readiness.RoleFromARN(arn); ok {
		return r.Account
	}
	return ""
}
