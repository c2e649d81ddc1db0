package guard

// IaC fights (docs/iac.md).
//
// A role managed by CloudFormation or Terraform whose template carries an open trust policy
// comes back open at every deployment (CloudFormation's update, or Terraform's drift repair,
// calls UpdateAssumeRolePolicy with the template's document). Patching it again and again
// fixes nothing: the tool reports drift, the role is open between each deployment and the
// guard's next write, and nobody is told what to change. So the guard writes one role's trust
// policy at most Threshold times in any Window (24 h); the write it would make after that is a
// Conflict decision instead: published, counted, alarmed, and counted as open (a sweep reports
// the role again, and the compliance ratio counts it as not compliant). Its policyAfter is the
// trust policy the template should carry, and its reason names the actor.
//
// The rule is a rate limit, not a switch: once the oldest counted write leaves the window the
// guard patches again, so a burst of re-applied policies pauses the guard for that role for at
// most a window, loudly. The guard's own roles (Tampered) are always restored: only Patched
// verdicts are counted and limited. See docs/security.md for what an attacker gains.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/cloudtrail"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

// Conflict: the role came back unpatched so often (an IaC tool re-applying its template) that
// the guard did not write it again. The role is open; After is the fix the template should
// carry.
const Conflict Decision = "conflict"

// Defaults of the fight rule.
const (
	FightWindow           = 24 * time.Hour
	DefaultFightThreshold = 3
	// TagCloudFormationStack is the tag CloudFormation puts on the resources of a stack
	// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-resource-tags.html).
	// Only AWS can set aws: tags, so when present it names the stack; AWS::IAM::Role does not
	// always get it (docs/iac.md), so the event's user agent is the next clue.
	TagCloudFormationStack = "aws:cloudformation:stack-name"
)

// FightRule limits how often the guard writes one role's trust policy: at most Threshold
// writes in any Window. Threshold 0 (or less) means no limit.
type FightRule struct {
	Threshold int
	Window    time.Duration // 0 means FightWindow
}

func (r FightRule) window() time.Duration {
	if r.Window <= 0 {
		return FightWindow
	}
	return r.Window
}

// Recent counts the writes in the window that ends at now: (now-Window, now].
func (r FightRule) Recent(writes []time.Time, now time.Time) int {
	from := now.Add(-r.window())
	n := 0
	for _, w := range writes {
		if w.After(from) && !w.After(now) {
			n++
		}
	}
	return n
}

// Allows reports whether one more write at now keeps every window within the rule: fewer than
// Threshold writes in (now-Window, now].
func (r FightRule) Allows(writes []time.Time, now time.Time) bool {
	return r.Threshold <= 0 || r.Recent(writes, now) < r.Threshold
}

// FightVerdict is the rule applied to one verdict: a Patched verdict with a write to make
// becomes Conflict when the rule does not allow another write at now. Any other verdict (and a
// Patched one the rule allows) is returned unchanged; a Conflict never asks for a write, and
// keeps the fix in After (the policy the template should carry). Pure.
func FightVerdict(v Verdict, writes []time.Time, now time.Time, rule FightRule, actor string) Verdict {
	if v.Decision != Patched || v.After == nil || rule.Allows(writes, now) {
		return v
	}
	n := rule.Recent(writes, now)
	v.Decision = Conflict
	v.Reason = fmt.Sprintf("IaC fight: the guard patched this trust policy %d times in the last %s and it came back open each time; "+
		"not written again (at most %d writes in %s; the next patch after %s). Actor: %s. Put policyAfter in the template and "+
		"check it with sidguard lint before deploying (docs/iac.md); the role stays open until then",
		n, hours(rule.window()), rule.Threshold, hours(rule.window()), rule.resumes(writes, now).UTC().Format(time.RFC3339), actor)
	return v
}

// resumes is when the rule next allows a write after now: when enough of the writes in the
// window have left it that fewer than Threshold remain.
func (r FightRule) resumes(writes []time.Time, now time.Time) time.Time {
	from := now.Add(-r.window())
	var in []time.Time
	for _, w := range writes {
		if w.After(from) && !w.After(now) {
			in = append(in, w)
		}
	}
	slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
	k := len(in) - r.Threshold // the k-th oldest (0-based) must leave the window
	if k < 0 {
		return now
	}
	return in[k].Add(r.window())
}

func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d h", d/time.Hour)
	}
	return d.String()
}

// FightClue is what the event path knows about who made the change (nothing for a sweep).
type FightClue struct {
	UserAgent string // CloudTrail userAgent
	InvokedBy string // userIdentity.invokedBy
	ActorARN  string // userIdentity.arn
}

// FightActor names who keeps re-applying the role's trust policy, for people: the
// CloudFormation stack from the role's aws:cloudformation:stack-name tag, else CloudFormation
// or Terraform as the user agent says (the caller chooses its user agent: a hint, not proof),
// else the caller; the caller's ARN is always added when known. Pure.
func FightActor(tags map[string]string, c FightClue) string {
	who := ""
	switch ua := c.UserAgent; {
	case tags[TagCloudFormationStack] != "":
		who = fmt.Sprintf("CloudFormation stack %q (tag %s)", tags[TagCloudFormationStack], TagCloudFormationStack)
	case ua == "cloudformation.amazonaws.com" || c.InvokedBy == "cloudformation.amazonaws.com":
		who = "CloudFormation (stack not tagged on the role; find it with aws cloudformation describe-stack-resources --physical-resource-id ROLE_NAME)"
	case terraform(ua) != "":
		who = fmt.Sprintf("Terraform (user agent %s)", terraform(ua))
	case ua != "":
		who = fmt.Sprintf("user agent %q", clip(ua, 160))
	}
	switch {
	case who == "" && c.ActorARN == "":
		return "unknown (no CloudTrail event: find the role's last UpdateAssumeRolePolicy in CloudTrail)"
	case who == "":
		return c.ActorARN
	case c.ActorARN == "":
		return who
	}
	return who + " as " + c.ActorARN
}

// terraform returns the "Terraform/VERSION" token of a user agent ("" if none). The AWS
// provider sends e.g. "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) ...".
func terraform(ua string) string {
	i := strings.Index(ua, "Terraform/")
	if i < 0 {
		return ""
	}
	tok := ua[i:]
	if j := strings.IndexAny(tok, " ("); j >= 0 {
		tok = tok[:j]
	}
	return tok
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Write is one trust-policy write the guard made.
type Write struct {
	RoleARN string
	At      time.Time
	By      string // "enforce" or "sweep"
	EventID string // the CloudTrail event that led to it ("" for a sweep)
}

// WriteLog keeps the guard's writes per role. *ledger.Writes satisfies it.
type WriteLog interface {
	// Writes returns the times of the writes to roleARN's trust policy at or after since.
	Writes(ctx context.Context, roleARN string, since time.Time) ([]time.Time, error)
	// RecordWrite stores one write.
	RecordWrite(ctx context.Context, w Write) error
}

// Fights applies a FightRule with a WriteLog: the event path (Guard) and the sweep share it.
// A nil *Fights, a nil Log or a Threshold of 0 limits nothing and records nothing.
type Fights struct {
	Log  WriteLog
	Rule FightRule
	Now  func() time.Time // time.Now when nil
}

func (f *Fights) on() bool { return f != nil && f.Log != nil && f.Rule.Threshold > 0 }

func (f *Fights) now() time.Time {
	if f.Now == nil {
		return time.Now()
	}
	return f.Now()
}

// Check returns v, or its Conflict when role has had its writes (FightVerdict). actor is
// called only for a conflict. When the log cannot be read it returns v (the write goes ahead:
// patching is the safe side) and the error, for the caller to log and count.
func (f *Fights) Check(ctx context.Context, role iamrole.Role, v Verdict, actor func() string) (Verdict, error) {
	if !f.on() || v.Decision != Patched || v.After == nil {
		return v, nil
	}
	now := f.now()
	writes, err := f.Log.Writes(ctx, writeKey(role), now.Add(-f.Rule.window()))
	if err != nil {
		return v, fmt.Errorf("read the guard's writes of role %s: %w", writeKey(role), err)
	}
	if f.Rule.Allows(writes, now) {
		return v, nil
	}
	return FightVerdict(v, writes, now, f.Rule, actor()), nil
}

// Record stores a write the caller just made to role's trust policy (a Patched verdict; the
// guard's own roles are not counted).
func (f *Fights) Record(ctx context.Context, role iamrole.Role, v Verdict, by, eventID string) error {
	if !f.on() || v.Decision != Patched {
		return nil
	}
	return f.Log.RecordWrite(ctx, Write{RoleARN: writeKey(role), At: f.now(), By: by, EventID: eventID})
}

// writeKey identifies a role in the write log: its ARN (the name when the ARN is unknown).
func writeKey(r iamrole.Role) string {
	if r.ARN != "" {
		return r.ARN
	}
	return "name:" + r.Name
}

// OpFightLog is the Errors metric's operation for a write log that could not be read or written.
const OpFightLog Op = "fight-log"

// fightCheck is Fights.Check on the event path: the actor from the role's tags and the event.
// A log that cannot be read is logged and counted; the write goes ahead.
func (g *Guard) fightCheck(ctx context.Context, role iamrole.Role, v Verdict, call cloudtrail.Call) Verdict {
	out, err := g.cfg.Fights.Check(ctx, role, v, func() string {
		return FightActor(role.Tags, FightClue{UserAgent: call.UserAgent, InvokedBy: call.Actor.InvokedBy, ActorARN: call.Actor.ARN})
	})
	if err != nil {
		g.count(ctx, MetricErrors, "operation", string(OpFightLog))
		g.cfg.Logger.WarnContext(ctx, "IaC fight log not read: patching anyway", "err", err, "roleArn", role.ARN)
	}
	return out
}

// fightRecord is Fights.Record on the event path; a failure is logged and counted.
func (g *Guard) fightRecord(ctx context.Context, role iamrole.Role, v Verdict, eventID string) {
	if err := g.cfg.Fights.Record(ctx, role, v, "enforce", eventID); err != nil {
		g.count(ctx, MetricErrors, "operation", string(OpFightLog))
		g.cfg.Logger.WarnContext(ctx, "IaC fight log not written: this write is not counted", "err", err, "roleArn", role.ARN)
	}
}
