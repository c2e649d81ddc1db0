package guard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/source-identity-guard/source-identity-guard/shared/cloudtrail"
	"github.com/source-identity-guard/source-identity-guard/shared/emf"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// Roles reads and writes the roles of one account. *iamrole.Client satisfies it.
type Roles interface {
	// Get reads the live role with its tags. It returns an error wrapping iamrole.ErrNotFound
	// when the role is still missing after a short wait.
	Get(ctx context.Context, name string) (iamrole.Role, error)
	// UpdateTrustPolicy replaces the role's trust policy with policy (plain JSON text).
	UpdateTrustPolicy(ctx context.Context, name string, policy []byte) error
}

// RolesFor returns the Roles of an account. A single-account deployment returns the same
// client for its own account; a multi-account one assumes a member role.
type RolesFor func(ctx context.Context, account string) (Roles, error)

// ErrForeignAccount is what a RolesFor returns for an account the guard does not manage.
var ErrForeignAccount = errors.New("account not managed by this guard")

// SingleAccount is the RolesFor of a guard that manages one account: every event of account
// (any account when account is "") gets r; other accounts get ErrForeignAccount.
func SingleAccount(r Roles, account string) RolesFor {
	return func(_ context.Context, a string) (Roles, error) {
		if account != "" && a != account {
			return nil, fmt.Errorf("account %s: %w", a, ErrForeignAccount)
		}
		return r, nil
	}
}

// Publisher sends a decision event to the findings bus. The error means the event was not
// delivered (after the SDK's retries).
type Publisher interface {
	Publish(ctx context.Context, ev DecisionEvent) error
}

// PublisherFunc adapts a function to Publisher.
type PublisherFunc func(ctx context.Context, ev DecisionEvent) error

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, ev DecisionEvent) error { return f(ctx, ev) }

// Config holds what a Guard needs. Policy, Roles and Publisher are required.
type Config struct {
	Policy    Policy
	Roles     RolesFor
	Publisher Publisher
	// OwnRoleARNs are the guard's execution roles: calls made by their sessions are skipped.
	OwnRoleARNs []string
	Logger      *slog.Logger // nil discards
	Metrics     *emf.Writer  // nil writes no metrics
}

// Guard handles CloudTrail events about role trust policies.
type Guard struct {
	cfg Config
}

// New returns a Guard. It does no I/O.
func New(cfg Config) (*Guard, error) {
	if cfg.Roles == nil || cfg.Publisher == nil {
		return nil, errors.New("guard: Config.Roles and Config.Publisher are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Guard{cfg: cfg}, nil
}

// Outcome is the result of one event: the Lambda function's response, and the log line.
type Outcome struct {
	Role      string                `json:"role"`
	RoleARN   string                `json:"roleArn,omitempty"`
	Account   string                `json:"account"`
	Decision  Decision              `json:"decision"`
	Reason    string                `json:"reason"`
	Mode      Mode                  `json:"mode,omitempty"`
	Findings  []trustpolicy.Finding `json:"findings"`
	EventID   string                `json:"eventId"`
	EventName string                `json:"eventName"`
	// Published is set when the decision event reached the bus.
	Published bool `json:"published"`
}

// Metric names (namespace emf.Namespace).
const (
	MetricDecisions       = "Decisions"       // dimension decision
	MetricErrors          = "Errors"          // dimension operation
	MetricPublishFailures = "PublishFailures" // dimension decision
)

// Handle processes one EventBridge event: decode, skip what is not ours, read the live role,
// decide, write when needed, publish. It returns an error only when a retry can help
// (throttling, 5xx, network); every permanent result is an Outcome with a nil error.
func (g *Guard) Handle(ctx context.Context, ev events.CloudWatchEvent) (Outcome, error) {
	start := time.Now()
	out, role, err := g.handle(ctx, ev)
	g.record(ctx, out, role, err, time.Since(start))
	return out, err
}

func (g *Guard) handle(ctx context.Context, ev events.CloudWatchEvent) (Outcome, iamrole.Role, error) {
	call, err := cloudtrail.Parse(ev)
	out := Outcome{
		Role:      call.RoleName,
		Account:   call.Account,
		EventID:   call.EventID,
		EventName: call.EventName,
		Findings:  []trustpolicy.Finding{},
	}
	if out.Account == "" {
		out.Account = ev.AccountID
	}
	if out.EventID == "" {
		out.EventID = ev.ID
	}
	if out.EventName == "" {
		out.EventName = ev.DetailType
	}
	var role iamrole.Role
	switch {
	case errors.Is(err, cloudtrail.ErrNotCloudTrail), errors.Is(err, cloudtrail.ErrUnsupportedEvent):
		return skip(out, "not a CreateRole or UpdateAssumeRolePolicy call: "+err.Error()), role, nil
	case err != nil:
		g.count(ctx, MetricErrors, "operation", "decode")
		return skip(out, "malformed event: "+err.Error()), role, nil
	case call.Failed():
		return skip(out, fmt.Sprintf("call failed (%s): it changed nothing", call.ErrorCode)), role, nil
	case call.RoleName == "":
		g.count(ctx, MetricErrors, "operation", "decode")
		return skip(out, "event names no role"), role, nil
	}
	for _, arn := range g.cfg.OwnRoleARNs {
		if call.Actor.IsSessionOf(arn) {
			return skip(out, "the guard's own change"), role, nil
		}
	}

	var v Verdict
	op := "get-role"
	roles, err := g.cfg.Roles(ctx, call.Account)
	switch {
	case errors.Is(err, ErrForeignAccount):
		return skip(out, err.Error()), role, nil
	case err != nil:
		op, err = "reach-account", fmt.Errorf("reach account %s: %w", call.Account, err)
	default:
		role, err = roles.Get(ctx, call.RoleName) // the adapter's errors name the operation and role
	}
	if err != nil {
		o, _, rerr := g.ioFailure(ctx, out, role, op, err)
		if rerr != nil || o.Decision == Skipped {
			return o, role, rerr
		}
		role = iamrole.Role{Name: call.RoleName, ARN: call.RoleARN}
		v = Verdict{Decision: o.Decision, Reason: o.Reason, Mode: g.cfg.Policy.mode(), Findings: []trustpolicy.Finding{}}
	} else {
		if role.Tags == nil {
			role.Tags = map[string]string{} // GetRole returns the tags; none means none
		}
		v = g.cfg.Policy.Decide(role)
		if v.Decision == Patched {
			if err := roles.UpdateTrustPolicy(ctx, role.Name, v.After); err != nil {
				o, _, rerr := g.ioFailure(ctx, out, role, "update-trust-policy", err)
				if rerr != nil {
					o.RoleARN, o.Mode, o.Findings = role.ARN, v.Mode, v.Findings
					return o, role, rerr
				}
				// Unfixable keeps the refused policy in the event; otherwise nothing was written.
				v.Decision, v.Reason = o.Decision, o.Reason
				if v.Decision != Unfixable {
					v.After = nil
				}
			}
		}
	}
	out.RoleARN, out.Mode = role.ARN, v.Mode
	out.Decision, out.Reason, out.Findings = v.Decision, v.Reason, v.Findings
	if out.Decision.Publishes() {
		trig := &Trigger{
			EventID:        call.EventID,
			EventName:      call.EventName,
			Actor:          call.Actor.String(),
			ActorARN:       call.Actor.ARN,
			SourceIdentity: call.Actor.SourceIdentity,
		}
		if !call.EventTime.IsZero() {
			trig.EventTime = call.EventTime.UTC().Format(time.RFC3339)
		}
		de := NewDecisionEvent(role, out.Account, v, trig)
		if err := g.cfg.Publisher.Publish(ctx, de); err != nil {
			// Never a retry: the write (if any) is done, and the sweep reports the role again.
			g.count(ctx, MetricPublishFailures, "decision", string(de.Decision))
			g.cfg.Logger.ErrorContext(ctx, "publish decision event failed",
				"err", err, "roleArn", role.ARN, "event", de)
		} else {
			out.Published = true
		}
	}
	return out, role, nil
}

// ioFailure turns an IAM error into an outcome: retryable errors are returned (Lambda retries
// the event), permanent ones become decisions.
func (g *Guard) ioFailure(ctx context.Context, out Outcome, role iamrole.Role, op string, err error) (Outcome, iamrole.Role, error) {
	switch {
	case iamrole.Retryable(err):
		g.count(ctx, MetricErrors, "operation", op)
		return failed(out, err.Error()), role, err
	case errors.Is(err, iamrole.ErrNotFound):
		return skip(out, "role deleted"), role, nil
	case errors.Is(err, iamrole.ErrMalformedPolicy), errors.Is(err, iamrole.ErrLimitExceeded), errors.Is(err, iamrole.ErrUnmodifiable):
		out.Decision, out.Reason = Unfixable, "IAM refused the patched trust policy: "+err.Error()
		return out, role, nil
	default: // AccessDenied and anything we do not know: log, count, report; a retry will not help
		g.count(ctx, MetricErrors, "operation", op)
		return failed(out, err.Error()), role, nil
	}
}

func skip(out Outcome, reason string) Outcome {
	out.Decision, out.Reason = Skipped, reason
	return out
}

func failed(out Outcome, reason string) Outcome {
	out.Decision, out.Reason = Failed, reason
	return out
}

// record writes the invocation's one log line and its decision metric.
func (g *Guard) record(ctx context.Context, out Outcome, role iamrole.Role, err error, took time.Duration) {
	g.count(ctx, MetricDecisions, "decision", string(out.Decision))
	level := slog.LevelInfo
	switch {
	case err != nil:
		level = slog.LevelError
	case out.Decision == Failed || out.Decision == Unfixable:
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("decision", string(out.Decision)),
		slog.String("reason", out.Reason),
		slog.String("roleName", out.Role),
		slog.String("roleArn", role.ARN),
		slog.String("account", out.Account),
		slog.String("mode", string(out.Mode)),
		slog.String("eventId", out.EventID),
		slog.String("eventName", out.EventName),
		slog.String("findings", findingCodes(out.Findings)),
		slog.Bool("published", out.Published),
		slog.Float64("durationMs", float64(took.Microseconds())/1000),
	}
	if err != nil {
		attrs = append(attrs, slog.String("err", err.Error()))
	}
	g.cfg.Logger.LogAttrs(ctx, level, "trust policy decision", attrs...)
}

func (g *Guard) count(_ context.Context, metric, dim, value string) {
	if g.cfg.Metrics == nil {
		return
	}
	if err := g.cfg.Metrics.Put([]emf.Dimension{{Name: dim, Value: value}}, emf.Metric{Name: metric, Unit: emf.Count, Value: 1}); err != nil {
		g.cfg.Logger.Error("write metric", "metric", metric, "err", err)
	}
}

func findingCodes(fs []trustpolicy.Finding) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(f.Code))
	}
	return b.String()
}
