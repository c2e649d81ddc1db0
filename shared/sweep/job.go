package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/emf"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
)

// SummaryDetailType is the detail-type of the event a sweep run ends with; its source is
// guard.EventSource and its detail a Summary.
const SummaryDetailType = "Sweep Summary"

// Metric names (namespace emf.Namespace).
const (
	MetricRoles           = "SweepRoles"           // dimension decision
	MetricComplianceRatio = "SweepComplianceRatio" // 0..1
	MetricCompleted       = "SweepCompleted"       // 1 when the run reached the last role
	MetricIncomplete      = "SweepIncomplete"      // 1 when it stopped early (deadline or error)
	MetricDuration        = "SweepDuration"        // milliseconds
	MetricAPICalls        = "SweepAPICalls"        // all AWS calls of the run
	MetricPublishFailures = "SweepPublishFailures" // decision events not published
	// MetricPositionRejected is 1 when the saved position was not signed by the sweep (someone
	// else wrote the parameter): the run started over from the first role. Alarmed with tampering.
	MetricPositionRejected = "SweepPositionRejected"
	// MetricOverlap is 1 when a run found another sweep holding the lease and did nothing.
	MetricOverlap = "SweepOverlap"
)

// Signer signs the saved position. *kmsmac.Signer satisfies it.
type Signer interface {
	Sign(ctx context.Context, msg []byte) ([]byte, error)
	Verify(ctx context.Context, msg, mac []byte) (bool, error)
}

// Lock keeps two sweeps from running at once. *lease.Lease satisfies it.
type Lock interface {
	Acquire(ctx context.Context, owner string, d time.Duration) (bool, error)
	Release(ctx context.Context, owner string) error
}

// signedPosition is the saved form of a Position when the job has a Signer.
type signedPosition struct {
	Position json.RawMessage `json:"position"`
	MAC      []byte          `json:"mac"` // HMAC-SHA-256 of Job.signedMessage(Position) (base64 in JSON)
}

// Event is one event for the findings bus.
type Event struct {
	DetailType string
	Detail     any
	Resources  []string
}

// Publisher sends events to the findings bus, batching them (up to 10 a PutEvents call). main
// adapts *eventbus.Publisher. failed counts the events not published; err says why.
type Publisher interface {
	Publish(ctx context.Context, events []Event) (failed int, err error)
}

// PublisherFunc adapts a function to Publisher.
type PublisherFunc func(ctx context.Context, events []Event) (int, error)

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, events []Event) (int, error) {
	return f(ctx, events)
}

// PromotionSource lists every role promoted to require (*ledger.Ledger: one Query).
type PromotionSource interface {
	AllPromotions(ctx context.Context) (guard.Promotions, error)
}

// Store keeps the resume position between runs. *checkpoint.Store satisfies it.
type Store interface {
	Load(ctx context.Context) ([]byte, error)
	Save(ctx context.Context, value []byte) error
}

// Job is one scheduled sweep run: load the saved position, sweep from it until the end or the
// deadline, publish a decision event for every role whose decision publishes (batched), save
// the position (the start again after a complete sweep), publish the summary and write EMF
// metrics.
type Job struct {
	Sweeper   *Sweeper
	Positions Store     // required
	Publisher Publisher // required
	// Signer signs the saved position and verifies it on load; a position it does not verify is
	// ignored (the run starts from the first role, and says so). nil: positions are unsigned
	// (tests and tools only; the function always signs).
	Signer Signer
	// Lock, when set, is held for the run; a run that cannot take it does nothing. Owner names
	// this run (e.g. the Lambda request id).
	Lock  Lock
	Owner string
	// Organization reads the management account for the AWS-created roles' exemption; nil, or
	// an error (a warning in the summary), means no role is exempt for its name.
	Organization guard.Organization
	// Promotions, when set, is read once per run: roles promoted from allow to require are
	// judged under require. A read error is a warning; the run judges under the roles' own
	// modes (never looser than a policy that already requires a source identity).
	Promotions PromotionSource
	// Account stamps the decision events; "" takes it from each role's ARN.
	Account string
	// Calls returns the API calls made so far by operation (nil: no call counts). The job
	// reports the calls made during its run.
	Calls   func() map[string]int
	Metrics *emf.Writer // nil writes no metrics
	Logger  *slog.Logger
}

// batchSize is how many decision events the job buffers before one PutEvents call.
const batchSize = 10

// Run runs the job. The error is non-nil when the sweep could not list roles, or when the
// position could not be saved; the summary is published in every case it can be.
func (j *Job) Run(ctx context.Context) (Summary, error) {
	log := j.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	before := j.calls()

	if j.Lock != nil {
		lease := 16 * time.Minute // Lambda's maximum timeout plus a margin
		if dl, ok := ctx.Deadline(); ok {
			lease = time.Until(dl) + time.Minute
		}
		ok, err := j.Lock.Acquire(ctx, j.Owner, lease)
		if err != nil {
			return Summary{StopReason: "error", Error: err.Error()}, fmt.Errorf("sweep lock: %w", err)
		}
		if !ok {
			log.WarnContext(ctx, "another sweep holds the lock; this run does nothing")
			j.put(ctx, log, emf.Metric{Name: MetricOverlap, Unit: emf.Count, Value: 1})
			return Summary{StopReason: "locked", Counts: map[guard.Decision]int{}, Exemptions: map[string]int{}}, nil
		}
		defer func() {
			if err := j.Lock.Release(context.WithoutCancel(ctx), j.Owner); err != nil {
				log.ErrorContext(ctx, "sweep lock not released (it expires with its lease)", "err", err)
			}
		}()
	}

	from, loadErr, rejected := j.load(ctx, log)
	sweeper := *j.Sweeper
	var orgErr error
	if j.Organization != nil && sweeper.Policy.ManagementAccount == "" {
		if sweeper.Policy.ManagementAccount, orgErr = j.Organization.ManagementAccount(ctx); orgErr != nil {
			orgErr = fmt.Errorf("organization's management account not read (AWS-created role names exempt nothing): %w", orgErr)
			log.WarnContext(ctx, orgErr.Error())
		}
	}
	var promErr error //
	if j.Promotions != nil {
		var set guard.Promotions
		if set, promErr = j.Promotions.AllPromotions(ctx); promErr != nil {
			promErr = fmt.Errorf("promotions not read (promoted roles judged under their own mode): %w", promErr)
			log.WarnContext(ctx, promErr.Error())
		} else {
			sweeper.Policy.Promoted = set
		}
	}
	var (
		buf       []Event
		published int
		failed    int
		pubErrs   []error
	)
	flush := func() {
		if len(buf) == 0 {
			return
		}
		n, err := j.Publisher.Publish(ctx, buf)
		failed += n
		published += len(buf) - n
		if err != nil {
			pubErrs = append(pubErrs, err)
			log.WarnContext(ctx, "decision events not published", "failed", n, "err", err)
		}
		buf = buf[:0]
	}
	var seenAccount string // the account of the first role listed, for a Job without Account
	sum, runErr := sweeper.Run(ctx, from, func(r Result) {
		if seenAccount == "" {
			seenAccount = accountOf(r.Role.ARN)
		}
		if !r.Verdict.Decision.Publishes() {
			return
		}
		account := j.Account
		if account == "" {
			account = accountOf(r.Role.ARN)
		}
		de := guard.NewDecisionEvent(r.Role, account, r.Verdict, nil)
		buf = append(buf, Event{DetailType: guard.EventDetailType, Detail: de, Resources: resources(r.Role.ARN)})
		if len(buf) == batchSize {
			flush()
		}
	})
	flush()
	sum.Account = j.Account // every summary event carries its account
	if sum.Account == "" {
		sum.Account = seenAccount
	}
	sum.EventsPublished, sum.EventsFailed = published, failed
	if loadErr != nil {
		sum.Warnings = append(sum.Warnings, loadErr.Error())
	}
	if rejected != "" {
		sum.Restarted, sum.RestartReason = true, rejected
	}
	if orgErr != nil {
		sum.Warnings = append(sum.Warnings, orgErr.Error())
	}
	if promErr != nil {
		sum.Warnings = append(sum.Warnings, promErr.Error())
	}
	if len(pubErrs) > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d decision events not published: %v", failed, errors.Join(pubErrs...)))
	}

	next := Position{} // a complete sweep starts over next time
	if sum.Next != nil {
		next = *sum.Next
	}
	saveErr := j.save(ctx, next)
	if saveErr != nil {
		sum.Warnings = append(sum.Warnings, saveErr.Error())
	}

	sum.APICalls = diff(j.calls(), before)
	sum.APICalls = addSummaryCall(sum.APICalls, j.Calls != nil)
	if _, err := j.Publisher.Publish(ctx, []Event{{DetailType: SummaryDetailType, Detail: sum}}); err != nil {
		log.ErrorContext(ctx, "sweep summary not published", "err", err)
		sum.Warnings = append(sum.Warnings, "summary not published: "+err.Error())
	}
	j.metrics(ctx, log, sum)
	log.InfoContext(ctx, "sweep run",
		slog.Bool("completed", sum.Completed), slog.Int("roles", sum.Roles), slog.Any("counts", sum.Counts),
		slog.Float64("complianceRatio", sum.ComplianceRatio), slog.Int64("durationMs", sum.DurationMS),
		slog.Any("apiCalls", sum.APICalls), slog.String("stopReason", sum.StopReason),
		slog.Bool("resumed", sum.Resumed), slog.Bool("restarted", sum.Restarted))
	return sum, errors.Join(runErr, saveErr)
}

// load reads the saved position. A position that cannot be read is a warning (loadErr); one
// the Signer does not verify is ignored and rejected says why: the run starts from the first
// role either way.
func (j *Job) load(ctx context.Context, log *slog.Logger) (from Position, loadErr error, rejected string) {
	raw, err := j.Positions.Load(ctx)
	if err != nil {
		loadErr = fmt.Errorf("load sweep position: %w", err)
		log.WarnContext(ctx, "starting from the first role", "err", loadErr)
		return Position{}, loadErr, ""
	}
	if len(raw) == 0 {
		return Position{}, nil, ""
	}
	body := raw
	if j.Signer != nil {
		var sp signedPosition
		if json.Unmarshal(raw, &sp) != nil || len(sp.Position) == 0 || len(sp.MAC) == 0 {
			if string(bytesTrim(raw)) == "{}" {
				return Position{}, nil, "" // the stack's initial value: start
			}
			rejected = "saved sweep position is not signed by the sweep; starting from the first role"
		} else if ok, err := j.Signer.Verify(ctx, j.signedMessage(sp.Position), sp.MAC); err != nil {
			loadErr = fmt.Errorf("verify sweep position: %w", err)
			log.WarnContext(ctx, "starting from the first role", "err", loadErr)
			return Position{}, loadErr, ""
		} else if !ok {
			rejected = "saved sweep position has a signature the sweep's key does not verify; starting from the first role"
		}
		if rejected != "" {
			log.ErrorContext(ctx, rejected, "value", string(raw))
			j.put(ctx, log, emf.Metric{Name: MetricPositionRejected, Unit: emf.Count, Value: 1})
			return Position{}, nil, rejected
		}
		body = sp.Position
	}
	if err := json.Unmarshal(body, &from); err != nil {
		log.WarnContext(ctx, "saved sweep position unreadable; starting from the first role", "value", string(raw), "err", err)
		return Position{}, nil, ""
	}
	return from, nil, ""
}

func bytesTrim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// put writes one EMF line without dimensions.
func (j *Job) put(ctx context.Context, log *slog.Logger, m emf.Metric) {
	if j.Metrics == nil {
		return
	}
	if err := j.Metrics.Put(nil, m); err != nil {
		log.ErrorContext(ctx, "sweep metric not written", "metric", m.Name, "err", err)
	}
}

// signedMessage is what the MAC covers: the position and the account it belongs to, so that a
// position signed for one account (organization scope keeps one per account, under one key)
// cannot be copied to another account's parameter.
func (j *Job) signedMessage(position []byte) []byte {
	msg := make([]byte, 0, len(position)+64)
	msg = append(msg, "source-identity-guard sweep position\naccount="...)
	msg = append(msg, j.Account...)
	msg = append(msg, '\n')
	return append(msg, position...)
}

func (j *Job) save(ctx context.Context, p Position) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode sweep position: %w", err)
	}
	if j.Signer != nil {
		mac, err := j.Signer.Sign(ctx, j.signedMessage(b))
		if err != nil {
			return fmt.Errorf("sign sweep position: %w", err)
		}
		if b, err = json.Marshal(signedPosition{Position: b, MAC: mac}); err != nil {
			return fmt.Errorf("encode sweep position: %w", err)
		}
	}
	if err := j.Positions.Save(ctx, b); err != nil {
		return fmt.Errorf("save sweep position: %w", err)
	}
	return nil
}

func (j *Job) calls() map[string]int {
	if j.Calls == nil {
		return nil
	}
	return j.Calls()
}

// addSummaryCall counts the PutEvents call that carries the summary itself, which is made
// after the counts are taken.
func addSummaryCall(m map[string]int, counting bool) map[string]int {
	if !counting {
		return m
	}
	if m == nil {
		m = map[string]int{}
	}
	m["EventBridge.PutEvents"]++
	return m
}

func diff(after, before map[string]int) map[string]int {
	if after == nil {
		return nil
	}
	out := make(map[string]int, len(after))
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

func (j *Job) metrics(ctx context.Context, log *slog.Logger, sum Summary) {
	if j.Metrics == nil {
		return
	}
	completed, incomplete := 0.0, 1.0
	if sum.Completed {
		completed, incomplete = 1, 0
	}
	calls := 0
	for _, n := range sum.APICalls {
		calls += n
	}
	ms := []emf.Metric{
		emf.Metric{Name: MetricCompleted, Unit: emf.Count, Value: completed},
		emf.Metric{Name: MetricIncomplete, Unit: emf.Count, Value: incomplete},
		emf.Metric{Name: MetricDuration, Unit: emf.Milliseconds, Value: float64(sum.DurationMS)},
		emf.Metric{Name: MetricAPICalls, Unit: emf.Count, Value: float64(calls)},
		emf.Metric{Name: MetricPublishFailures, Unit: emf.Count, Value: float64(sum.EventsFailed)},
	}
	if sum.Judged > 0 { // a run that judged nothing has no compliance figure
		ms = append(ms, emf.Metric{Name: MetricComplianceRatio, Unit: "None", Value: sum.ComplianceRatio})
	}
	err := j.Metrics.Put(nil, ms...)
	for _, d := range decisionOrder {
		if err != nil {
			break
		}
		err = j.Metrics.Put([]emf.Dimension{{Name: "decision", Value: string(d)}},
			emf.Metric{Name: MetricRoles, Unit: emf.Count, Value: float64(sum.Counts[d])})
	}
	if err != nil {
		log.ErrorContext(ctx, "sweep metrics not written", "err", err)
	}
}

// decisionOrder lists every decision, so that a metric reads 0 rather than missing.
var decisionOrder = []guard.Decision{guard.Compliant, guard.Patched, guard.WouldPatch, guard.Exempt,
	guard.Skipped, guard.Unfixable, guard.Failed, guard.Tampered, guard.Conflict}

// accountOf returns the account id of an IAM ARN ("" if s is not one).
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

func resources(arn string) []string {
	if arn == "" {
		return nil
	}
	return []string{arn}
}
