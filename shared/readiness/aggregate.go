package readiness

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
)

// DefaultDays is the default window length.
const DefaultDays = 14

// Window is the period the verdict looks at: Start <= t <= End.
type Window struct{ Start, End time.Time }

// NewWindow returns the window of days days ending at end.
func NewWindow(end time.Time, days int) Window {
	end = end.UTC()
	return Window{Start: end.Add(-time.Duration(days) * 24 * time.Hour), End: end}
}

// Contains reports whether t is in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && !t.After(w.End) }

// Stats counts records by what became of them.
type Stats struct {
	Records      int          // records given to Add or AddRecord
	Observations int          // observations in the window
	Assumptions  int          // of which assumptions
	Console      int          // of which console sessions
	Skipped      map[Skip]int // records that gave no observation, by reason (outside-window included)
}

func (s *Stats) skip(k Skip) {
	if s.Skipped == nil {
		s.Skipped = map[Skip]int{}
	}
	s.Skipped[k]++
}

func (s *Stats) merge(o Stats) {
	s.Records += o.Records
	s.Observations += o.Observations
	s.Assumptions += o.Assumptions
	s.Console += o.Console
	for k, v := range o.Skipped {
		if s.Skipped == nil {
			s.Skipped = map[Skip]int{}
		}
		s.Skipped[k] += v
	}
}

// Aggregator accumulates observations per role and caller. Its memory is bounded by the
// number of distinct roles and callers. It is not safe for concurrent use: give each worker
// its own and Merge them.
type Aggregator struct {
	Window Window
	roles  map[RoleKey]*roleAcc
	stats  Stats
}

type roleAcc struct {
	role    Role
	callers map[CallerKey]*CallerEvidence
}

// NewAggregator returns an empty aggregator over w.
func NewAggregator(w Window) *Aggregator {
	return &Aggregator{Window: w, roles: map[RoleKey]*roleAcc{}}
}

// Skipped counts a record that gave no observation.
func (a *Aggregator) Skipped(k Skip) {
	a.stats.Records++
	a.stats.skip(k)
}

// Add adds one observation (one record). An observation outside the window makes its role
// appear and counts nothing else.
func (a *Aggregator) Add(o Observation) {
	a.stats.Records++
	ra := a.role(o.Role)
	if !a.Window.Contains(o.Time) {
		a.stats.skip(SkipOutsideWindow)
		return
	}
	a.stats.Observations++
	key := o.Caller.Key()
	c := ra.callers[key]
	if c == nil {
		c = &CallerEvidence{Principal: o.Caller.Principal, Type: o.Caller.Type, PrincipalID: o.Caller.PrincipalID,
			FirstSeen: o.Time, LastSeen: o.Time, UserAgent: o.UserAgent, Client: o.Client}
		ra.callers[key] = c
	}
	c.add(o)
	if o.Kind == KindConsole {
		a.stats.Console++
	} else {
		a.stats.Assumptions++
	}
}

func (a *Aggregator) role(r Role) *roleAcc {
	k := r.Key()
	ra := a.roles[k]
	if ra == nil {
		ra = &roleAcc{role: r, callers: map[CallerKey]*CallerEvidence{}}
		a.roles[k] = ra
	} else if !ra.role.PathKnown && r.PathKnown {
		ra.role = r // prefer the ARN with the role's path
	}
	return ra
}

// add folds one in-window observation into the caller's evidence.
func (c *CallerEvidence) add(o Observation) {
	if o.Kind == KindConsole {
		c.ConsoleSessions++
	} else {
		c.Assumptions++
		if !o.HasSourceIdentity() {
			c.WithoutSourceIdentity++
		}
	}
	if o.Console {
		c.Console = true
	}
	if o.Time.Before(c.FirstSeen) {
		c.FirstSeen = o.Time
	}
	// The latest observation gives the user agent.
	if later(o.Time, o.UserAgent, o.Client, c.LastSeen, c.UserAgent, c.Client) {
		c.LastSeen, c.UserAgent, c.Client = o.Time, o.UserAgent, o.Client
	}
}

// later orders (time, user agent, client) triples: the latest call wins, ties broken on the
// strings so that the result does not depend on the order records were read in.
func later(t time.Time, ua, client string, t0 time.Time, ua0, client0 string) bool {
	if !t.Equal(t0) {
		return t.After(t0)
	}
	if ua != ua0 {
		return ua > ua0
	}
	return client > client0
}

// Merge adds b's evidence into a (same window).
func (a *Aggregator) Merge(b *Aggregator) {
	a.stats.merge(b.stats)
	for _, rb := range b.roles {
		ra := a.role(rb.role)
		for k, cb := range rb.callers {
			ca := ra.callers[k]
			if ca == nil {
				cp := *cb
				ra.callers[k] = &cp
				continue
			}
			ca.Assumptions += cb.Assumptions
			ca.WithoutSourceIdentity += cb.WithoutSourceIdentity
			ca.ConsoleSessions += cb.ConsoleSessions
			ca.Console = ca.Console || cb.Console
			if cb.FirstSeen.Before(ca.FirstSeen) {
				ca.FirstSeen = cb.FirstSeen
			}
			if later(cb.LastSeen, cb.UserAgent, cb.Client, ca.LastSeen, ca.UserAgent, ca.Client) {
				ca.LastSeen, ca.UserAgent, ca.Client = cb.LastSeen, cb.UserAgent, cb.Client
			}
		}
	}
}

// Stats returns the record counts so far.
func (a *Aggregator) Stats() Stats { return a.stats }

// RoleEvidence is one role's evidence over the window and its verdict.
type RoleEvidence struct {
	Role                         Role
	Assumptions                  int
	WithoutSourceIdentity        int
	CallersWithoutSourceIdentity []string // sorted, distinct principals
	ConsoleSessions              int
	ConsoleUsed                  bool // console SwitchRole or console AssumeRole seen in the window
	Ready                        bool
	Window                       Window
	Callers                      []CallerEvidence // sorted by principal, then principal id
}

// CallerEvidence is one caller's evidence for one role.
type CallerEvidence struct {
	Principal             string
	Type                  string
	PrincipalID           string
	Assumptions           int
	WithoutSourceIdentity int
	ConsoleSessions       int
	FirstSeen, LastSeen   time.Time
	UserAgent             string // of the latest call
	Client                string
	Console               bool
}

// Blocks reports whether this caller keeps the role from being ready.
func (c CallerEvidence) Blocks() bool {
	return c.WithoutSourceIdentity > 0 || c.ConsoleSessions > 0 || c.Console
}

// Results returns every role's evidence and verdict, sorted by role ARN.
func (a *Aggregator) Results() []RoleEvidence {
	out := make([]RoleEvidence, 0, len(a.roles))
	for _, ra := range a.roles {
		ev := RoleEvidence{Role: ra.role, Window: a.Window}
		without := map[string]bool{}
		for _, c := range ra.callers {
			ev.Assumptions += c.Assumptions
			ev.WithoutSourceIdentity += c.WithoutSourceIdentity
			ev.ConsoleSessions += c.ConsoleSessions
			if c.Console || c.ConsoleSessions > 0 {
				ev.ConsoleUsed = true
			}
			if c.WithoutSourceIdentity > 0 {
				without[c.Principal] = true
			}
			ev.Callers = append(ev.Callers, *c)
		}
		ev.CallersWithoutSourceIdentity = make([]string, 0, len(without))
		for p := range without {
			ev.CallersWithoutSourceIdentity = append(ev.CallersWithoutSourceIdentity, p)
		}
		sort.Strings(ev.CallersWithoutSourceIdentity)
		sort.Slice(ev.Callers, func(i, j int) bool {
			if ev.Callers[i].Principal != ev.Callers[j].Principal {
				return ev.Callers[i].Principal < ev.Callers[j].Principal
			}
			return ev.Callers[i].PrincipalID < ev.Callers[j].PrincipalID
		})
		ev.Ready = Ready(ev)
		out = append(out, ev)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Role.ARN != out[j].Role.ARN {
			return out[i].Role.ARN < out[j].Role.ARN
		}
		ki, kj := out[i].Role.Key(), out[j].Role.Key()
		return ki.Partition+":"+ki.Account+":"+ki.Name < kj.Partition+":"+kj.Account+":"+kj.Name
	})
	return out
}

// Ready is the verdict rule, in one place: every assumption in the window carried a source
// identity and no console use was seen. No assumption at all is ready.
func Ready(ev RoleEvidence) bool {
	return ev.WithoutSourceIdentity == 0 && ev.ConsoleSessions == 0 && !ev.ConsoleUsed
}

// Reason says in one line why a role is or is not ready.
func Reason(ev RoleEvidence) string {
	if ev.Ready {
		if ev.Assumptions == 0 {
			return "nobody assumed it in the window"
		}
		if ev.Assumptions == 1 {
			return "its 1 assumption carried a source identity"
		}
		return fmt.Sprintf("all %d assumptions carried a source identity", ev.Assumptions)
	}
	var parts []string
	if ev.WithoutSourceIdentity > 0 {
		callers := "1 caller"
		if n := len(ev.CallersWithoutSourceIdentity); n != 1 {
			callers = fmt.Sprintf("%d callers", n)
		}
		parts = append(parts, fmt.Sprintf("%d of %d assumptions without a source identity (%s)", ev.WithoutSourceIdentity, ev.Assumptions, callers))
	}
	if ev.ConsoleUsed {
		sessions := "1 sign-in session"
		if ev.ConsoleSessions != 1 {
			sessions = fmt.Sprintf("%d sign-in sessions", ev.ConsoleSessions)
		}
		parts = append(parts, fmt.Sprintf("console switch-role used (%s): the console cannot pass a source identity", sessions))
	}
	return strings.Join(parts, "; ")
}

// AddRecord observes one decoded record and adds the observation, or counts why there is none.
func (a *Aggregator) AddRecord(r trailrecord.Record) {
	o, skip := Observe(r)
	if skip != SkipNone {
		a.Skipped(skip)
		return
	}
	a.Add(o)
}
