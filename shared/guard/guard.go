package guard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
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
	// OwnSessions are the Lambda sessions of the guard's functions (the session ARN
	// arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/FUNCTION that Lambda gives a function's
	// execution role): their calls about other roles are skipped. Any other session of the
	// guard's roles is judged like anyone else, and a change to a guard role is always checked.
	OwnSessions []string
	// Organization reads the organization's management account (for the AWS-created roles'
	// exemption); nil, or an error, means unknown: such roles are judged like any other.
	Organization Organization
	Logger       *slog.Logger // nil discards
	Metrics      *emf.Writer  // nil writes no metrics
	// Fights limits how often one role is patched (IaC fights, fight.go); nil limits nothing.
	Fights *Fights
	// Promotions, when set, is read (once per event, only when a promotion could change the
	// verdict) for roles promoted from allow to require.
	Promotions PromotionStore
}

// Organization is what the guard needs from AWS Organizations. A *organizations.Client
// satisfies it. ManagementAccount returns "" and no error for an account in no organization.
type Organization interface {
	ManagementAccount(ctx context.Context) (string, error)
}

// Guard handles CloudTrail events about role trust policies.
type Guard struct {
	cfg Config

	mu      sync.Mutex
	mgmt    string // the management account once read
	mgmtSet bool   // mgmt was read ("" for an account in no organization)
}

// policy is the configured policy with the management account filled in when it can be read
// (cached after the first success; a failure is logged and retried on the next event).
func (g *Guard) policy(ctx context.Context) Policy {
	p := g.cfg.Policy
	if g.cfg.Organization == nil || p.ManagementAccount != "" {
		return p
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.mgmtSet {
		m, err := g.cfg.Organization.ManagementAccount(ctx)
		if err != nil {
			g.cfg.Logger.WarnContext(ctx, "organization's management account not read: AWS-created role names exempt nothing", "err", err)
			return p
		}
		g.mgmt, g.mgmtSet = m, true
	}
	p.ManagementAccount = g.mgmt
	return p
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
	Role     string   `json:"role"`
	RoleARN  string   `json:"roleArn,omitempty"`
	Account  string   `json:"account"`
	Decision Decision `json:"decision"`
	Reason   string   `json:"reason"`
	Mode     Mode     `json:"mode,omitempty"`
	// ModeSource is "tag" when a protected role tag set the mode or the exemption.
	ModeSource string                `json:"modeSource,omitempty"`
	Findings   []trustpolicy.Finding `json:"findings"`
	EventID    string                `json:"eventId"`
	EventName  string                `json:"eventName"`
	// Published is set when the decision event reached the bus.
	Published bool `json:"published"`
}

// Metric names (namespace emf.Namespace).
const (
	MetricDecisions       = "Decisions"       // dimension decision
	MetricErrors          = "Errors"          // dimension operation
	MetricPublishFailures = "PublishFailures" // no dimension (one alarm covers every decision)
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
		return skip(out, "not a CreateRole, UpdateAssumeRolePolicy, TagRole or UntagRole call: "+err.Error()), role, nil
	case err != nil:
		g.count(ctx, MetricErrors, "operation", "decode")
		return skip(out, "malformed event: "+err.Error()), role, nil
	case call.Failed():
		return skip(out, fmt.Sprintf("call failed (%s): it changed nothing", call.ErrorCode)), role, nil
	case call.RoleName == "":
		g.count(ctx, MetricErrors, "operation", "decode")
		return skip(out, "event names no role"), role, nil
	}
	if g.ownSession(call.Actor.ARN) {
		if _, own := g.cfg.Policy.ownRole(call.RoleName); !own {
			return skip(out, "the guard's own change"), role, nil
		}
	}

	var v Verdict
	roles, err := g.cfg.Roles(ctx, call.Account)
	switch {
	case errors.Is(err, ErrForeignAccount):
		return skip(out, err.Error()), role, nil
	case err != nil:
		err = fmt.Errorf("reach account %s: %w", call.Account, err)
	default:
		role, err = roles.Get(ctx, call.RoleName) // the adapter's errors name the operation and role
	}
	if err != nil {
		role = iamrole.Role{Name: call.RoleName, ARN: call.RoleARN}
		v = Verdict{Mode: g.cfg.Policy.mode(), ModeSource: ModeSourceStack, Findings: []trustpolicy.Finding{}}
		if rerr := g.ioError(ctx, &v, OpRead, err); rerr != nil {
			return fill(out, role, v), role, rerr
		}
		if v.Decision == Skipped {
			return fill(out, role, v), role, nil
		}
	} else {
		if role.Tags == nil {
			role.Tags = map[string]string{} // GetRole returns the tags; none means none
		}
		p := g.cfg.Policy
		if IsAWSRoleName(role.Name) { // only such a name needs the management account
			p = g.policy(ctx)
		}
		v = p.Decide(role)
		v = g.withPromotion(ctx, p, role, v) //
		v = g.fightCheck(ctx, role, v, call) // a role patched too often: Conflict, no write
		if v.NeedsWrite() {
			if err := roles.UpdateTrustPolicy(ctx, role.Name, v.After); err != nil {
				if rerr := g.ioError(ctx, &v, OpWrite, err); rerr != nil {
					return fill(out, role, v), role, rerr
				}
			} else {
				g.fightRecord(ctx, role, v, call.EventID)
			}
		}
	}
	out = fill(out, role, v)
	if out.Decision.PublishesFromEvent() {
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
			g.count(ctx, MetricPublishFailures, "", "")
			g.cfg.Logger.ErrorContext(ctx, "publish decision event failed",
				"err", err, "roleArn", role.ARN, "event", de)
		} else {
			out.Published = true
		}
	}
	return out, role, nil
}

// ownSession reports whether arn is the Lambda session of one of the guard's functions.
func (g *Guard) ownSession(arn string) bool {
	for _, s := range g.cfg.OwnSessions {
		if arn != "" && arn == s {
			return true
		}
	}
	return false
}

// fill copies a verdict into the outcome.
func fill(out Outcome, role iamrole.Role, v Verdict) Outcome {
	if role.ARN != "" {
		out.RoleARN = role.ARN
	}
	out.Mode, out.ModeSource = v.Mode, v.ModeSource
	if v.ModeSource == ModeSourceStack {
		out.ModeSource = ""
	}
	out.Decision, out.Reason, out.Findings = v.Decision, v.Reason, v.Findings
	if out.Findings == nil {
		out.Findings = []trustpolicy.Finding{}
	}
	return out
}

// ioError turns an IAM error into the verdict's decision (AfterIOError). It returns err when a
// retry can help (throttling, 5xx, network): the event then goes back to its queue.
func (g *Guard) ioError(ctx context.Context, v *Verdict, op Op, err error) error {
	*v = AfterIOError(*v, op, err)
	if iamrole.Retryable(err) || v.Decision == Failed || v.Decision == Tampered {
		g.count(ctx, MetricErrors, "operation", string(op))
	}
	if iamrole.Retryable(err) {
		return err
	}
	return nil
}

func skip(out Outcome, reason string) Outcome {
	out.Decision, out.Reason = Skipped, reason
	return out
}

// record writes the invocation's one log line and its decision metric.
func (g *Guard) record(ctx context.Context, out Outcome, role iamrole.Role, err error, took time.Duration) {
	g.count(ctx, MetricDecisions, "decision", string(out.Decision))
	level := slog.LevelInfo
	switch {
	case err != nil:
		level = slog.LevelError
	case out.Decision == Failed || out.Decision == Unfixable || out.Decision == Tampered || out.Decision == Conflict:
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("decision", string(out.Decision)),
		slog.String("reason", out.Reason),
		slog.String("roleName", out.Role),
		slog.String("roleArn", role.ARN),
		slog.String("account", out.Account),
		slog.String("mode", string(out.Mode)),
		slog.String("modeSource", out.ModeSource),
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
	var dims []emf.Dimension
	if dim != "" {
		dims = []emf.Dimension{{Name: dim, Value: value}}
	}
	if err := g.cfg.Metrics.Put(dims, emf.Metric{Name: metric, Unit: emf.Count, Value: 1}); err != nil {
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
