// Package sweep reconciles every IAM role of an account with the guard's policy: it streams
// ListRoles pages, decides each role with guard.Policy.Decide (the code the Enforce function
// uses, so an event and a sweep never judge a role differently), reads tags only for roles whose
// verdict tags can change, and writes fixed trust policies with bounded concurrency.
//
// A sweep keeps at most one ListRoles page (1,000 roles) in memory. It stops cleanly before its
// context's deadline (minus Sweeper.Margin) and returns the Position to resume from.
//
// The package does no AWS I/O itself: the Roles it is given (an *iamrole.Client) does.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

// Roles is what a sweep needs from IAM. *iamrole.Client satisfies it.
type Roles interface {
	// ListPage returns one ListRoles page (trust policies URL-decoded, Tags nil) and the marker
	// of the next page ("" after the last page).
	ListPage(ctx context.Context, marker string) (roles []iamrole.Role, next string, err error)
	Tags(ctx context.Context, name string) (map[string]string, error)
	UpdateTrustPolicy(ctx context.Context, name string, policy []byte) error
}

// Defaults for the zero fields of a Sweeper.
const (
	DefaultConcurrency = 4
	DefaultMargin      = 30 * time.Second
)

// Sweeper runs sweeps. Roles and Policy are required; the other fields have defaults.
type Sweeper struct {
	Roles  Roles
	Policy guard.Policy
	// DryRun turns every write into a would-patch verdict (sidguard scan without --fix).
	// Policy.Mode audit never writes either way.
	DryRun bool
	// Concurrency bounds the ListRoleTags and UpdateAssumeRolePolicy calls in flight.
	Concurrency int
	// Margin: the sweep starts no new page and no new role I/O once less than Margin remains
	// before the context's deadline. Without a deadline the sweep runs to the end.
	Margin time.Duration
	// Now is the clock (time.Now when nil); tests inject one to exercise the deadline.
	Now func() time.Time
	// Logger receives progress lines (nothing when nil).
	Logger *slog.Logger
}

// Position says where a sweep resumes: the ListRoles page that starts at Marker ("" for the first
// page), after the role named After on that page ("" for the whole page).
type Position struct {
	Marker string `json:"marker,omitempty"`
	After  string `json:"after,omitempty"`
	// Since is when the sweep cycle that this position belongs to began (the first of the runs
	// that together cover every role once).
	Since time.Time `json:"since,omitzero"`
}

// IsStart reports whether p is the beginning of the role list.
func (p Position) IsStart() bool { return p.Marker == "" && p.After == "" }

// Result is the sweep's outcome for one role.
type Result struct {
	Role    iamrole.Role // Tags set when they were read
	Verdict guard.Verdict
	Err     error // the I/O error behind a Failed verdict (or an unfixable write), if any
}

// Summary is what one run did.
type Summary struct {
	// Account is the account swept (set by the Job; the Job's Account, else that of the roles'
	// ARNs). [org: every summary event carries its account]
	Account string `json:"account"`
	// Completed is true when the run reached the last role; false when it stopped early (deadline
	// or error) and Next says where the next run continues.
	Completed bool                   `json:"completed"`
	Counts    map[guard.Decision]int `json:"counts"`
	Roles     int                    `json:"roles"`
	// ComplianceRatio is the share of judged roles (all but exempt and skipped) that comply at the
	// end of the run: compliant plus patched, over judged. 1 when nothing was judged.
	ComplianceRatio float64    `json:"complianceRatio"`
	Mode            guard.Mode `json:"mode"`
	DryRun          bool       `json:"dryRun,omitempty"`
	Pages           int        `json:"pages"`
	Started         time.Time  `json:"started"`
	DurationMS      int64      `json:"durationMs"`
	// APICalls counts calls by "Service.Operation"; filled by the caller that owns the counter.
	APICalls map[string]int `json:"apiCalls,omitempty"`
	// From is where this run started; Resumed is true when that was a saved position.
	From    Position `json:"from"`
	Resumed bool     `json:"resumed"`
	// Restarted is true when the saved position was rejected (e.g. an expired ListRoles marker)
	// and the run started over from the first role; RestartReason says why.
	Restarted     bool   `json:"restarted,omitempty"`
	RestartReason string `json:"restartReason,omitempty"`
	// StopReason says why an incomplete run stopped: "deadline" or "error".
	StopReason string    `json:"stopReason,omitempty"`
	Error      string    `json:"error,omitempty"`
	Next       *Position `json:"next,omitempty"`
	// EventsPublished and EventsFailed count the decision events (Job only).
	EventsPublished int `json:"eventsPublished"`
	EventsFailed    int `json:"eventsFailed"`
	// Warnings are problems that did not stop the run (position not loaded or saved, events
	// not published).
	Warnings []string `json:"warnings,omitempty"`
}

// Run sweeps from position from and calls emit for every role, in ListRoles order, from one
// goroutine. It returns the run's summary; the error is non-nil only when listing failed (the
// summary then says where to resume). Per-role failures are Failed verdicts, not errors.
func (s *Sweeper) Run(ctx context.Context, from Position, emit func(Result)) (Summary, error) {
	now := s.Now
	if now == nil {
		now = time.Now
	}
	conc := s.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	margin := s.Margin
	if margin <= 0 {
		margin = DefaultMargin
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	deadline, hasDeadline := ctx.Deadline()
	stopAt := deadline.Add(-margin)
	outOfTime := func() bool { return hasDeadline && !now().Before(stopAt) }

	start := now()
	mode := s.Policy.Mode
	if mode == "" {
		mode = guard.ModeRequire
	}
	sum := Summary{
		Counts:  map[guard.Decision]int{},
		Mode:    mode,
		DryRun:  s.DryRun,
		Started: start,
		From:    from,
		Resumed: !from.IsStart(),
	}
	if from.Since.IsZero() {
		from.Since = start.Round(0) // no monotonic reading: it is saved and compared
	}
	finish := func() Summary {
		sum.DurationMS = now().Sub(start).Milliseconds()
		sum.ComplianceRatio = ratio(sum.Counts)
		return sum
	}

	pos := from
	for {
		if outOfTime() {
			sum.StopReason = "deadline"
			next := pos
			sum.Next = &next
			log.InfoContext(ctx, "sweep stopped before its deadline", "next", pos.Marker, "after", pos.After)
			return finish(), nil
		}
		roles, next, err := s.Roles.ListPage(ctx, pos.Marker)
		if err != nil && sum.Pages == 0 && sum.Resumed && !sum.Restarted {
			// A saved marker can expire or be refused; the only safe fallback is the beginning.
			log.WarnContext(ctx, "saved sweep position rejected; starting over", "marker", pos.Marker, "err", err)
			sum.Restarted = true
			sum.RestartReason = fmt.Sprintf("list roles from saved marker %q: %v", pos.Marker, err)
			pos = Position{Since: start.Round(0)}
			continue
		}
		if err != nil {
			sum.StopReason = "error"
			sum.Error = err.Error()
			next := pos
			sum.Next = &next
			return finish(), err
		}
		sum.Pages++
		done, last := s.page(ctx, roles, pos.After, conc, outOfTime, emit, &sum)
		if !done {
			// Stopped inside the page: resume on the same page after the last role handled.
			sum.StopReason = "deadline"
			after := last
			if after == "" {
				after = pos.After
			}
			sum.Next = &Position{Marker: pos.Marker, After: after, Since: pos.Since}
			log.InfoContext(ctx, "sweep stopped before its deadline", "next", pos.Marker, "after", after)
			return finish(), nil
		}
		log.DebugContext(ctx, "sweep page done", "page", sum.Pages, "roles", sum.Roles)
		if next == "" {
			sum.Completed = true
			return finish(), nil
		}
		pos = Position{Marker: next, Since: pos.Since}
	}
}

// page handles one page, skipping roles up to and including after (when present in the page).
// It reports whether the whole page was handled and the name of the last role handled.
func (s *Sweeper) page(ctx context.Context, roles []iamrole.Role, after string, conc int,
	outOfTime func() bool, emit func(Result), sum *Summary) (done bool, last string) {
	first := 0
	if after != "" {
		for i, r := range roles {
			if r.Name == after {
				first = i + 1
				break
			}
		}
	}
	results := make([]Result, len(roles))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	end := len(roles)
	for i := first; i < len(roles); i++ {
		r := roles[i]
		v := s.Policy.Decide(r)
		if !v.TagsMatter && !s.needsWrite(v) {
			results[i] = s.result(r, v)
			continue
		}
		if outOfTime() {
			end = i
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = s.resolve(ctx, r, v)
		}()
	}
	wg.Wait()
	for i := first; i < end; i++ {
		record(sum, results[i])
		emit(results[i])
		last = roles[i].Name
	}
	return end == len(roles), last
}

func (s *Sweeper) needsWrite(v guard.Verdict) bool { return v.Decision == guard.Patched }

// result turns a verdict that needs no (more) I/O into a Result, honouring DryRun.
func (s *Sweeper) result(r iamrole.Role, v guard.Verdict) Result {
	if s.DryRun && v.Decision == guard.Patched {
		v.Decision = guard.WouldPatch
		v.Reason = fmt.Sprintf("dry run: trust policy would be patched to %s a source identity", v.Mode)
	}
	return Result{Role: r, Verdict: v}
}

// resolve reads the tags when they matter, decides again and writes when the verdict says so.
func (s *Sweeper) resolve(ctx context.Context, r iamrole.Role, v guard.Verdict) Result {
	if v.TagsMatter {
		tags, err := s.Roles.Tags(ctx, r.Name)
		if err != nil {
			return ioFailure(r, v, err)
		}
		if tags == nil {
			tags = map[string]string{}
		}
		r.Tags = tags
		v = s.Policy.Decide(r)
	}
	if !s.needsWrite(v) || s.DryRun {
		return s.result(r, v)
	}
	if err := s.Roles.UpdateTrustPolicy(ctx, r.Name, v.After); err != nil {
		return ioFailure(r, v, err)
	}
	return Result{Role: r, Verdict: v}
}

// ioFailure classifies an IAM error met while handling a role.
func ioFailure(r iamrole.Role, v guard.Verdict, err error) Result {
	v.After = nil
	switch {
	case errors.Is(err, iamrole.ErrNotFound):
		v.Decision, v.Reason = guard.Skipped, "role deleted during the sweep"
	case errors.Is(err, iamrole.ErrUnmodifiable):
		v.Decision, v.Reason = guard.Unfixable, "IAM refuses to modify this role: "+err.Error()
	case errors.Is(err, iamrole.ErrMalformedPolicy), errors.Is(err, iamrole.ErrLimitExceeded):
		v.Decision, v.Reason = guard.Unfixable, "IAM rejected the fixed trust policy: "+err.Error()
	default:
		v.Decision, v.Reason = guard.Failed, err.Error()
	}
	return Result{Role: r, Verdict: v, Err: err}
}

func record(sum *Summary, r Result) {
	sum.Roles++
	sum.Counts[r.Verdict.Decision]++
}

func ratio(c map[guard.Decision]int) float64 {
	judged := 0
	for d, n := range c {
		if d != guard.Exempt && d != guard.Skipped {
			judged += n
		}
	}
	if judged == 0 {
		return 1
	}
	return float64(c[guard.Compliant]+c[guard.Patched]) / float64(judged)
}
