// Package sweep reconciles every IAM role of an account with the guard's policy: it streams
// ListRoles pages, decides each role with guard.Policy.Decide (the code the Enforce function
// uses, so an event and a sweep never judge a role differently), and, for a role whose verdict
// its tags could change or that needs a write, re-reads it with GetRole (document and tags)
// and decides again on what GetRole returned before writing, with bounded concurrency.
//
// Stale writes: a ListRoles page may be minutes old by the time a role's turn comes; an owner's
// change in between (say, an account removed) must not be overwritten with a fix computed from
// the old document. So the write is always computed from the GetRole document, read just before
// it: 2 calls per non-compliant role (GetRole, UpdateAssumeRolePolicy). IAM has no conditional
// write, so a change in the milliseconds between the two calls is still possible; its own
// UpdateAssumeRolePolicy event then makes the enforce function judge the role again.
//
// A sweep keeps at most one ListRoles page (1,000 roles) in memory. It stops cleanly before its
// context's deadline (minus Sweeper.Margin) and returns the Position to resume from.
//
// The package does no AWS I/O itself: the Roles it is given (an *iamrole.Client) does.
package sweep

import (
	"context"
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
	// Get reads the live role with its tags (GetRole).
	Get(ctx context.Context, name string) (iamrole.Role, error)
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
	// Concurrency bounds the GetRole and UpdateAssumeRolePolicy calls in flight.
	Concurrency int
	// Margin: the sweep starts no new page and no new role I/O once less than Margin remains
	// before the context's deadline. Without a deadline the sweep runs to the end.
	Margin time.Duration
	// Now is the clock (time.Now when nil); tests inject one to exercise the deadline.
	Now func() time.Time
	// Logger receives progress lines (nothing when nil).
	Logger *slog.Logger
	// Fights limits how often one role is patched (IaC fights, guard.Fights); nil limits nothing.
	Fights *guard.Fights
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

	fightErr error // the write log could not be read or written (the role was still patched)
}

// Summary is what one run did.
type Summary struct {
	// Account is the account swept (set by the Job; the Job's Account, else that of the roles'
	// ARNs). [org: every summary event carries its account]
	Account string `json:"account"`
	// Completed is true when the run reached the last role; false when it stopped early (deadline
	// or error) and Next says where the next run continues.
	Completed bool `json:"completed"`
	// CompletePass is true only when this run started at the first role and judged every role
	// ListRoles listed (none failed): the one claim that covers the whole account.
	CompletePass bool                   `json:"completePass"`
	Counts       map[guard.Decision]int `json:"counts"`
	// Exemptions counts the exempt roles by kind of exemption (guard.Verdict.ExemptBy).
	Exemptions map[string]int `json:"exemptions"`
	Roles      int            `json:"roles"`
	// Judged counts the roles judged (all but exempt and skipped).
	Judged int `json:"judged"`
	// ComplianceRatio is the share of judged roles that comply at the end of the run: compliant
	// plus patched, over judged. 0 when nothing was judged (never 100% for a run that judged
	// nothing: read it with Judged).
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
	// not published, IaC fight log not read or written).
	Warnings []string `json:"warnings,omitempty"`

	fightLogErrors int
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
		Counts:     map[guard.Decision]int{},
		Exemptions: map[string]int{},
		Mode:       mode,
		DryRun:     s.DryRun,
		Started:    start,
		From:       from,
		Resumed:    !from.IsStart(),
	}
	if from.Since.IsZero() {
		from.Since = start.Round(0) // no monotonic reading: it is saved and compared
	}
	finish := func() Summary {
		sum.DurationMS = now().Sub(start).Milliseconds()
		sum.Judged, sum.ComplianceRatio = ratio(sum.Counts)
		// A run that resumed judged only the roles after its position: it completes the pass that
		// earlier runs began, and only a run from the first role covers every role itself. A role
		// that could not be read or written (failed) was not judged either.
		sum.CompletePass = sum.Completed && (!sum.Resumed || sum.Restarted) && sum.Counts[guard.Failed] == 0
		if sum.fightLogErrors > 0 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("IaC fight log: %d reads or writes failed (those roles were patched; their writes may go uncounted)", sum.fightLogErrors))
		}
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
		if !v.TagsMatter && !v.NeedsWrite() {
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

// result turns a verdict that needs no (more) I/O into a Result, honouring DryRun.
func (s *Sweeper) result(r iamrole.Role, v guard.Verdict) Result {
	if s.DryRun && v.NeedsWrite() {
		if v.Decision == guard.Tampered {
			v.Reason, v.After = "dry run: the guard's own role has a trust policy other than the stack's (not restored)", nil
		} else {
			v.Decision = guard.WouldPatch
			v.Reason = fmt.Sprintf("dry run: trust policy would be patched to %s a source identity", v.Mode)
		}
	}
	return Result{Role: r, Verdict: v}
}

// resolve re-reads the role (GetRole: its current document and tags), decides again on what it
// read, and writes when that verdict says so. A role whose document changed since the listing is
// judged on its new document, never on the listed one.
func (s *Sweeper) resolve(ctx context.Context, listed iamrole.Role, v guard.Verdict) Result {
	r, err := s.Roles.Get(ctx, listed.Name)
	if err != nil {
		return Result{Role: listed, Verdict: guard.AfterIOError(v, guard.OpRead, err), Err: err}
	}
	if r.Tags == nil {
		r.Tags = map[string]string{}
	}
	if r.Path == "" {
		r.Path = listed.Path
	}
	v = s.Policy.Decide(r)
	if !v.NeedsWrite() || s.DryRun {
		return s.result(r, v)
	}
	// a role patched too often in 24 h is a conflict: not written, reported open.
	v, ferr := s.Fights.Check(ctx, r, v, func() string { return guard.FightActor(r.Tags, guard.FightClue{}) })
	if !v.NeedsWrite() {
		return Result{Role: r, Verdict: v}
	}
	if err := s.Roles.UpdateTrustPolicy(ctx, r.Name, v.After); err != nil {
		return Result{Role: r, Verdict: guard.AfterIOError(v, guard.OpWrite, err), Err: err, fightErr: ferr}
	}
	if err := s.Fights.Record(ctx, r, v, "sweep", ""); err != nil && ferr == nil {
		ferr = err
	}
	if ferr != nil {
		s.logger().WarnContext(ctx, "IaC fight log", "err", ferr, "roleArn", r.ARN)
	}
	return Result{Role: r, Verdict: v, fightErr: ferr}
}

func (s *Sweeper) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func record(sum *Summary, r Result) {
	sum.Roles++
	sum.Counts[r.Verdict.Decision]++
	if r.fightErr != nil {
		sum.fightLogErrors++
	}
	if r.Verdict.Decision == guard.Exempt {
		sum.Exemptions[r.Verdict.ExemptBy]++
	}
}

// ratio returns how many roles were judged and the share of them that comply (0 when none).
func ratio(c map[guard.Decision]int) (judged int, compliance float64) {
	for d, n := range c {
		if d != guard.Exempt && d != guard.Skipped {
			judged += n
		}
	}
	if judged == 0 {
		return 0, 0
	}
	return judged, float64(c[guard.Compliant]+c[guard.Patched]) / float64(judged)
}
