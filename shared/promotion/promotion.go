// Package promotion decides, per role, whether a role in allow may be moved to require (its
// trust policy then refuses every AssumeRole without an STS source identity), and builds the
// record the ledger keeps of that decision. It is pure: no AWS SDK, no I/O; the evidence comes
// from shared/readiness (the same verdict `sidguard readiness` prints), the records are stored
// by shared/ledger, and the guard honours them (guard.Policy.Promoted).
//
// # The rules
//
//   - Only a role whose effective mode is allow is a candidate: from the stack (Mode /
//     SweepMode) or a protected source-identity-guard:mode tag. An audit role is never
//     promoted (audit writes nothing), a require role needs nothing, an exempt role stays
//     exempt, and a role whose trust policy already requires a source identity is not news.
//   - Ready is readiness.Ready over the window: every assumption in the window carried a
//     source identity and no console use was seen. A role nobody assumed is ready.
//   - A console-used role is never promoted automatically: the console's switch-role cannot
//     pass a source identity
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html).
//     A person may force it (sidguard promote --force); the record then says forced.
//   - A role with any assumption without a source identity by a caller other than the
//     console is refused, forced or not: those callers would be locked out. The refusal
//     names them and what each should do (readiness.Action).
//   - Automatic promotion needs evidence that covers the whole window: until the ledger has
//     been observed for a full window (Coverage), an empty ledger would make every role look
//     unused, hence ready, so nothing is promoted automatically or proposed.
//   - A promotion only raises a role's mode (allow -> require). It never exempts a role,
//     never lowers require and does nothing in audit: a forged record can lock callers out of a
//     role, never open one.
package promotion

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
)

// Setting is the PROMOTION setting.
type Setting string

const (
	Off     Setting = "off"     // no evaluation
	Propose Setting = "propose" // publish ready decisions; a person promotes (sidguard promote)
	Auto    Setting = "auto"    // record the promotion and publish promoted
)

// DefaultSetting and DefaultWindowDays are the template's defaults.
const (
	DefaultSetting    = Propose
	DefaultWindowDays = readiness.DefaultDays
	MaxWindowDays     = 90 // the evidence's default retention (EvidenceRetentionDays)
)

// ParseSetting parses off, propose or auto ("" is the default, propose).
func ParseSetting(s string) (Setting, error) {
	switch v := Setting(strings.ToLower(strings.TrimSpace(s))); v {
	case "":
		return DefaultSetting, nil
	case Off, Propose, Auto:
		return v, nil
	}
	return "", fmt.Errorf("promotion setting %q: want off, propose or auto", s)
}

// ValidateWindow checks a window length in days.
func ValidateWindow(days int) error {
	if days < 1 || days > MaxWindowDays {
		return fmt.Errorf("window %d days: want 1 to %d", days, MaxWindowDays)
	}
	return nil
}

// State is a role's recorded rollout state. The only one recorded is require.
const StateRequire = "require"

// ByAuto is the By of a promotion the Promote function made (PROMOTION=auto).
const ByAuto = "auto"

// Evidence is the snapshot a promotion was decided on.
type Evidence struct {
	Assumptions                  int      `json:"assumptions"`
	WithoutSourceIdentity        int      `json:"withoutSourceIdentity"`
	CallersWithoutSourceIdentity []string `json:"callersWithoutSourceIdentity"`
	ConsoleSessions              int      `json:"consoleSessions"`
	ConsoleUsed                  bool     `json:"consoleUsed"`
	WindowStart                  string   `json:"windowStart"` // RFC 3339
	WindowEnd                    string   `json:"windowEnd"`
	WindowDays                   int      `json:"windowDays"`
}

// EvidenceOf snapshots a role's readiness evidence.
func EvidenceOf(ev readiness.RoleEvidence) Evidence {
	callers := ev.CallersWithoutSourceIdentity
	if callers == nil {
		callers = []string{}
	}
	return Evidence{
		Assumptions:                  ev.Assumptions,
		WithoutSourceIdentity:        ev.WithoutSourceIdentity,
		CallersWithoutSourceIdentity: callers,
		ConsoleSessions:              ev.ConsoleSessions,
		ConsoleUsed:                  ev.ConsoleUsed,
		WindowStart:                  ev.Window.Start.UTC().Format(time.RFC3339),
		WindowEnd:                    ev.Window.End.UTC().Format(time.RFC3339),
		WindowDays:                   int(ev.Window.End.Sub(ev.Window.Start).Round(time.Hour).Hours() / 24),
	}
}

// Record is one role's promotion as the ledger keeps it.
type Record struct {
	RoleARN  string    `json:"roleArn"`
	State    string    `json:"state"` // StateRequire
	At       time.Time `json:"at"`
	By       string    `json:"by"` // ByAuto, or the ARN of the person who ran sidguard promote
	Forced   bool      `json:"forced"`
	Evidence Evidence  `json:"evidence"`
}

// Blocker is a caller that keeps a role from require, and what it should do.
type Blocker struct {
	Principal   string `json:"principal"`
	PrincipalID string `json:"principalId,omitempty"`
	Console     bool   `json:"console"`
	LastSeen    string `json:"lastSeen"`
	UserAgent   string `json:"userAgent"`
	Action      string `json:"action"`
}

// Blockers splits a role's blocking callers into console users and the others.
func Blockers(ev readiness.RoleEvidence) (console, others []Blocker) {
	for _, c := range ev.Callers {
		if !c.Blocks() {
			continue
		}
		b := Blocker{Principal: c.Principal, PrincipalID: c.PrincipalID, Console: c.Console || c.ConsoleSessions > 0,
			LastSeen: c.LastSeen.UTC().Format(time.RFC3339), UserAgent: c.UserAgent, Action: readiness.Action(c)}
		if b.Console {
			console = append(console, b)
		} else {
			others = append(others, b)
		}
	}
	return console, others
}

// consoleUsed is every sign of console use the evidence carries.
func consoleUsed(ev readiness.RoleEvidence) bool {
	if ev.ConsoleUsed || ev.ConsoleSessions > 0 {
		return true
	}
	for _, c := range ev.Callers {
		if c.Console || c.ConsoleSessions > 0 {
			return true
		}
	}
	return false
}

// cleanForAuto: ready by the readiness rule, and no console sign anywhere (checked twice on
// purpose: the automatic path must never promote a console-used role).
func cleanForAuto(ev readiness.RoleEvidence) bool {
	return readiness.Ready(ev) && ev.WithoutSourceIdentity == 0 && !consoleUsed(ev)
}

// Errors of Decide (errors.Is).
var (
	ErrNotReady    = errors.New("not ready: callers without a source identity would be locked out")
	ErrConsoleUsed = errors.New("console-used: the console's switch-role cannot pass a source identity")
	ErrNoEvidence  = errors.New("evidence does not cover the window")
)

// Refusal is Decide's error: why, and who blocks.
type Refusal struct {
	Reason   error // ErrNotReady, ErrConsoleUsed or ErrNoEvidence
	Detail   string
	Blockers []Blocker
}

func (r *Refusal) Error() string {
	if r.Detail == "" {
		return r.Reason.Error()
	}
	return r.Reason.Error() + ": " + r.Detail
}

func (r *Refusal) Unwrap() error { return r.Reason }

// Request is one promotion to decide.
type Request struct {
	RoleARN  string
	Evidence readiness.RoleEvidence // the role's evidence over the window (zero callers: nobody assumed it)
	By       string                 // ByAuto or the person's ARN
	Force    bool                   // a person accepts that console users lose switch-role
	Now      time.Time
}

// Decide returns the record of a promotion, or a *Refusal. Automatic requests (By == ByAuto)
// can never be forced.
func Decide(req Request) (Record, error) {
	ev := req.Evidence
	console, others := Blockers(ev)
	if len(others) > 0 || (ev.WithoutSourceIdentity > 0 && len(console) == 0) {
		return Record{}, &Refusal{Reason: ErrNotReady, Detail: readiness.Reason(ev), Blockers: others}
	}
	forced := false
	if consoleUsed(ev) {
		if !req.Force || req.By == ByAuto {
			return Record{}, &Refusal{Reason: ErrConsoleUsed, Detail: readiness.Reason(ev), Blockers: console}
		}
		forced = true
	}
	if !forced && !cleanForAuto(ev) { // unreachable by the checks above; kept as the last word
		return Record{}, &Refusal{Reason: ErrNotReady, Detail: readiness.Reason(ev), Blockers: others}
	}
	return Record{RoleARN: req.RoleARN, State: StateRequire, At: req.Now.UTC().Truncate(time.Second), By: req.By,
		Forced: forced, Evidence: EvidenceOf(ev)}, nil
}

// Covered reports whether evidence observed since since covers window w: the ledger has
// been collecting since the window's start at the latest. A zero since is not covered.
func Covered(since time.Time, w readiness.Window) bool {
	return !since.IsZero() && !since.After(w.Start)
}

// Unassumed is the evidence of a role nobody assumed in the window.
func Unassumed(arn string, w readiness.Window) readiness.RoleEvidence {
	role, _ := readiness.RoleFromARN(arn)
	return readiness.RoleEvidence{Role: role, Ready: true, Window: w, CallersWithoutSourceIdentity: []string{}}
}
