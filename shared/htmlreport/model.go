package htmlreport

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// State is where a scan record leaves its role, as the report counts it (see the package doc).
type State string

const (
	StateRequiring State = "requiring" // callers must set a source identity
	StateAllowing  State = "allowing"  // callers may set one; not shown to require it
	StateOpen      State = "open"      // the guard would still change the role, or could not
	StateExempt    State = "exempt"    // left alone on purpose
	StateSkipped   State = "skipped"   // not judged (e.g. deleted during the scan)
)

// Classify maps a scan record to its state from its decision and mode alone.
func Classify(r ScanRecord) State {
	switch r.Decision {
	case DecisionCompliant:
		if r.Mode == ModeAllow && r.Reason != ReasonRequires {
			return StateAllowing
		}
		return StateRequiring
	case DecisionPatched:
		if r.Mode == ModeAllow {
			return StateAllowing
		}
		return StateRequiring
	case DecisionReady, DecisionPromoted:
		return StateAllowing
	case DecisionExempt:
		return StateExempt
	case DecisionSkipped:
		return StateSkipped
	}
	return StateOpen // would-patch, unfixable, failed, tampered, conflict
}

// Tally counts roles by state. Judged is every role but the skipped ones.
type Tally struct {
	Judged, Requiring, Allowing, Open, Exempt, Skipped int
}

func (t *Tally) add(s State) {
	switch s {
	case StateRequiring:
		t.Requiring++
	case StateAllowing:
		t.Allowing++
	case StateOpen:
		t.Open++
	case StateExempt:
		t.Exempt++
	case StateSkipped:
		t.Skipped++
		return
	}
	t.Judged++
}

// UnknownAccount is how the report names the account of records that carry no account id
// (neither an "account" field nor an account in the role ARN).
const UnknownAccount = "this account (unknown id)"

// Account is one account's part of the report.
type Account struct {
	ID    string // 12 digits, or "" when unknown
	Label string // ID, or UnknownAccount
	Tally
	Groups []OpenGroup // the open roles, grouped by what the guard would do about them
	// Readiness evidence for this account's roles: records, and those ready for require.
	ReadinessRoles, ReadyRoles int
}

// OpenGroup is the open roles of one account that share a decision, mode, reason and set of
// finding codes, and so the same fix.
type OpenGroup struct {
	Decision, Mode, Reason string
	Codes                  []string
	Fix                    Fix
	Roles                  []OpenRole // every role of the group, by name
	Shown                  int        // how many of Roles the page lists (MaxListedOpenRoles)
}

// ShownRoles are the roles the page lists.
func (g OpenGroup) ShownRoles() []OpenRole { return g.Roles[:g.Shown] }

// MoreRoles is how many of the group's roles the page does not list.
func (g OpenGroup) MoreRoles() int { return len(g.Roles) - g.Shown }

// Fix says what the guard would do about a group of open roles, from the decision and the
// finding codes (the scan records do not carry the fixed policy).
type Fix struct {
	Summary string    // one sentence
	Steps   []FixStep // one per finding code
}

// FixStep is what happens about one finding code.
type FixStep struct {
	Code string // "" for a step about no finding
	Text string
}

// OpenRole is one open role.
type OpenRole struct {
	Name     string // path + name
	ARN      string
	Findings []FindingView
	Error    string
}

// FindingView is one finding as the page shows it.
type FindingView struct {
	Code       string
	Where      string // "statement 0 (Sid "X")", or "whole policy"
	Principals string // comma-separated
	Message    string // shown for findings a person must resolve (and unknown codes)
}

// Count is one value and how many records carry it.
type Count struct {
	Value string
	N     int
}

// InputInfo is one input file's provenance.
type InputInfo struct {
	Name, SHA256     string
	Scan, Readiness  int
	DuplicateRecords int // records of a role an earlier record already described (the later kept)
}

// Limits that keep the page readable and small for an organization of hundreds of accounts.
// What is not listed is counted on the page.
const (
	// MaxListedOpenRoles is how many open roles the page lists one by one. When there are more,
	// every group lists the same number of its roles (the largest that fits; at least one) and
	// says how many more it has.
	MaxListedOpenRoles = 5000
	// MaxBlockers is how many blocking callers the readiness section lists (most roles first).
	MaxBlockers = 1000
	// MaxRolesPerBlocker is how many of a blocking caller's roles the page names.
	MaxRolesPerBlocker = 10
)

// ReadinessView is the readiness part of the report.
type ReadinessView struct {
	Roles, Ready   int
	ReadyByAccount []ReadyAccount // by account label
	// NotReady counts roles that are not ready; NoCallerListed those of them whose record names
	// no caller without a source identity (nothing to act on in the record).
	NotReady, NoCallerListed int
	Blockers                 []Blocker // most roles blocked first, at most MaxBlockers
	MoreBlockers             int       // blockers not listed
}

// ReadyAccount is one account's roles that are ready for require.
type ReadyAccount struct {
	Label string
	Roles []string // role ARNs, sorted
}

// Blocker is one caller that assumed at least one role without a source identity (or from the
// console), over every role it blocks.
type Blocker struct {
	Principal                          string
	Roles                              []string // ARNs of the roles it blocks, sorted; at most MaxRolesPerBlocker
	RoleCount                          int
	Assumptions, WithoutSourceIdentity int    // over those roles
	LastSeen                           string // latest lastSeen (RFC 3339)
	Clients                            []string
	Console                            bool
	Actions                            []string // distinct actions the readiness records give
}

// MoreRoles is how many of the blocker's roles are not named.
func (b Blocker) MoreRoles() int { return b.RoleCount - len(b.Roles) }

// Report is everything the page shows. Build makes it; Render writes it.
type Report struct {
	Title     string
	Generated time.Time
	Generator string // e.g. "sidguard v1.2.3"
	Total     Tally
	Accounts  []Account // worst first: most open roles, then the lowest share requiring
	Readiness *ReadinessView
	Inputs    []InputInfo
	Modes     []Count  // modes seen in the scan records
	Decisions []Count  // decisions seen
	Codes     []Count  // finding codes seen
	Windows   []Count  // readiness windows seen
	OpenCodes []string // finding codes of the open roles, for the legend
	// ScanRecords and ReadinessRecords count the records used (after duplicates).
	ScanRecords, ReadinessRecords int
}

// Options are what the records do not say.
type Options struct {
	Title     string    // default DefaultTitle
	Generated time.Time // when the report was made (shown in UTC)
	Generator string
}

// DefaultTitle is the page title when Options.Title is empty.
const DefaultTitle = "Source identity compliance"

// Build summarises the inputs. A role (by ARN, else account and path+name) described by more
// than one scan record counts once, from the last record; the same for readiness records.
func Build(inputs []Input, opts Options) *Report {
	rep := &Report{Title: opts.Title, Generated: opts.Generated.UTC(), Generator: opts.Generator}
	if rep.Title == "" {
		rep.Title = DefaultTitle
	}
	type keyed[T any] struct {
		order int
		rec   T
	}
	scan := map[string]keyed[ScanRecord]{}
	ready := map[string]ReadinessRecord{}
	n := 0
	for _, in := range inputs {
		info := InputInfo{Name: in.Name, SHA256: in.SHA256, Scan: len(in.Scan), Readiness: len(in.Readiness)}
		for _, r := range in.Scan {
			k := r.ARN
			if k == "" {
				k = AccountOf(r) + "\x00" + r.Path + r.Role
			}
			if _, dup := scan[k]; dup {
				info.DuplicateRecords++
			}
			scan[k] = keyed[ScanRecord]{n, r}
			n++
		}
		for _, r := range in.Readiness {
			if _, dup := ready[r.Role]; dup {
				info.DuplicateRecords++
			}
			ready[r.Role] = r
		}
		rep.Inputs = append(rep.Inputs, info)
	}

	accounts := map[string]*Account{}
	acct := func(id string) *Account {
		a, ok := accounts[id]
		if !ok {
			a = &Account{ID: id, Label: id}
			if id == "" {
				a.Label = UnknownAccount
			}
			accounts[id] = a
		}
		return a
	}
	modes, decisions, codes, windows := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}

	scanRecs := make([]keyed[ScanRecord], 0, len(scan))
	for _, r := range scan {
		scanRecs = append(scanRecs, r)
	}
	slices.SortFunc(scanRecs, func(a, b keyed[ScanRecord]) int { return a.order - b.order })
	groups := map[*Account]map[string]*OpenGroup{}
	for _, kr := range scanRecs {
		r := kr.rec
		rep.ScanRecords++
		modes[r.Mode]++
		decisions[r.Decision]++
		for _, f := range r.Findings {
			codes[string(f.Code)]++
		}
		a := acct(AccountOf(r))
		st := Classify(r)
		a.add(st)
		rep.Total.add(st)
		if st != StateOpen {
			continue
		}
		cs := findingCodes(r.Findings)
		key := r.Decision + "\x00" + r.Mode + "\x00" + r.Reason + "\x00" + strings.Join(cs, ",")
		if groups[a] == nil {
			groups[a] = map[string]*OpenGroup{}
		}
		g := groups[a][key]
		if g == nil {
			g = &OpenGroup{Decision: r.Decision, Mode: r.Mode, Reason: r.Reason, Codes: cs, Fix: fixFor(r.Decision, r.Mode, cs)}
			groups[a][key] = g
		}
		g.Roles = append(g.Roles, openRole(r))
	}
	open := map[string]bool{}
	for a, gs := range groups {
		for _, g := range gs {
			for _, c := range g.Codes {
				open[c] = true
			}
			slices.SortFunc(g.Roles, func(x, y OpenRole) int { return cmp.Or(cmp.Compare(x.Name, y.Name), cmp.Compare(x.ARN, y.ARN)) })
			a.Groups = append(a.Groups, *g)
		}
		slices.SortFunc(a.Groups, func(x, y OpenGroup) int {
			return cmp.Or(cmp.Compare(decisionRank(x.Decision), decisionRank(y.Decision)), cmp.Compare(len(y.Roles), len(x.Roles)),
				cmp.Compare(x.Mode, y.Mode), cmp.Compare(x.Reason, y.Reason), slices.Compare(x.Codes, y.Codes))
		})
	}

	if len(ready) > 0 {
		rep.Readiness = buildReadiness(ready, acct, windows, &rep.ReadinessRecords)
	}

	for _, a := range accounts {
		rep.Accounts = append(rep.Accounts, *a)
	}
	slices.SortFunc(rep.Accounts, worstFirst)
	limitListed(rep.Accounts, MaxListedOpenRoles)
	for c := range open {
		rep.OpenCodes = append(rep.OpenCodes, c)
	}
	slices.Sort(rep.OpenCodes)
	rep.Modes, rep.Decisions, rep.Codes, rep.Windows = counts(modes), counts(decisions), counts(codes), counts(windows)
	return rep
}

// worstFirst orders accounts: most open roles, then the lowest share requiring (an account
// with nothing judged last), then most roles judged, then id (unknown last).
func worstFirst(a, b Account) int {
	return cmp.Or(cmp.Compare(b.Open, a.Open), compareShare(a.Tally, b.Tally), cmp.Compare(b.Judged, a.Judged),
		cmp.Compare(b2i(a.ID == ""), b2i(b.ID == "")), cmp.Compare(a.ID, b.ID))
}

// compareShare compares Requiring/Judged without floating point; nothing judged sorts last.
func compareShare(a, b Tally) int {
	if a.Judged == 0 || b.Judged == 0 {
		return cmp.Compare(b2i(a.Judged == 0), b2i(b.Judged == 0))
	}
	return cmp.Compare(a.Requiring*b.Judged, b.Requiring*a.Judged)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func decisionRank(d string) int {
	switch d {
	case DecisionTampered:
		return -1
	case DecisionUnfixable:
		return 0
	case DecisionFailed:
		return 1
	}
	return 2
}

func counts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for v, n := range m {
		out = append(out, Count{v, n})
	}
	slices.SortFunc(out, func(x, y Count) int { return cmp.Or(cmp.Compare(y.N, x.N), cmp.Compare(x.Value, y.Value)) })
	return out
}

func window(r ReadinessRecord) string {
	if r.WindowStart == "" && r.WindowEnd == "" {
		return ""
	}
	return orUnknown(r.WindowStart) + " to " + orUnknown(r.WindowEnd)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func findingCodes(fs []trustpolicy.Finding) []string {
	var out []string
	for _, f := range fs {
		if c := string(f.Code); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func openRole(r ScanRecord) OpenRole {
	name := r.Path + r.Role
	if name == "" {
		name = r.ARN
	}
	o := OpenRole{Name: name, ARN: r.ARN, Error: r.Error}
	for _, f := range r.Findings {
		fv := FindingView{Code: string(f.Code), Principals: strings.Join(f.Principals, ", ")}
		switch {
		case f.Statement < 0:
			fv.Where = "whole policy"
		case f.SID != "":
			fv.Where = "statement " + strconv.Itoa(f.Statement) + " (Sid " + strconv.Quote(f.SID) + ")"
		default:
			fv.Where = "statement " + strconv.Itoa(f.Statement)
		}
		if h, known := codeHelp[f.Code]; !known || !h.fixable {
			fv.Message = f.Message // needs a person, or a code this report does not know
		}
		o.Findings = append(o.Findings, fv)
	}
	return o
}

// codeHelp says, for every finding code the report knows, what the guard does about it
// (short, for a group's fix) and in full (the page's legend of codes).
var codeHelp = map[trustpolicy.Code]struct {
	fixable     bool
	short, long string
}{
	trustpolicy.CodeMissingSetSourceIdentity: {true, "add sts:SetSourceIdentity for the principals listed",
		"The statement does not let the principals listed pass a source identity. The guard adds sts:SetSourceIdentity to the statement's actions (allow and require modes; a mixed statement is split so that service principals keep theirs)."},
	trustpolicy.CodeMissingCondition: {true, "add the sts:SourceIdentity condition",
		`The statement lets the principals listed assume the role without a source identity. In require mode the guard adds a condition on sts:SourceIdentity (StringLike, the configured patterns; "*" by default), so that they are refused without one.`},
	trustpolicy.CodeDenyConflict: {false, "a person must reconcile the Deny statement",
		"A Deny statement blocks sts:SetSourceIdentity for these principals, so requiring a source identity would lock them out. The guard leaves the statement as is."},
	trustpolicy.CodeConditionConflict: {false, "a person must change the statement's conditions",
		"The statement's own conditions on sts:SourceIdentity refuse every value the patterns accept. The guard leaves it as is."},
	trustpolicy.CodeWildcardPrincipal: {false, "a person must name the principals",
		`"Principal": "*" lets anyone, AWS services included, assume the role. The guard does not guess who is meant: name the principals, or use {"AWS": "*"} with conditions.`},
	trustpolicy.CodeTooLarge: {false, "a person must shorten the policy or raise the quota",
		`The fixed policy would exceed the "role trust policy length" quota, so the guard writes nothing. Shorten the policy or raise the quota (and TrustPolicySizeLimit).`},
	trustpolicy.CodeUniqueIDPrincipal: {false, "a person must remove the deleted principal's id",
		"The statement names the unique id of a deleted principal; IAM may refuse to save the fixed policy until it is removed."},
	"internal-error": {false, "report the engine bug",
		"The engine could not fix the policy (a bug): report it with the policy."},
}

// CodeHelp is the legend entry of a finding code ("" for a code the report does not know).
func CodeHelp(code string) string { return codeHelp[trustpolicy.Code(code)].long }

func fixFor(decision, mode string, cs []string) Fix {
	var f Fix
	switch decision {
	case DecisionWouldPatch:
		target := "require"
		if mode == ModeAllow {
			target = "allow"
		}
		f.Summary = fmt.Sprintf("The guard would rewrite the trust policy to %s a source identity:", target)
	case DecisionUnfixable:
		f.Summary = "The guard writes nothing here: a person must act."
	case DecisionFailed:
		f.Summary = "The guard could not read or write the role; fix the cause (e.g. a missing permission) and scan again."
	case DecisionConflict:
		f.Summary = "The guard stopped rewriting this role: its infrastructure code keeps putting back an open trust policy. Put the fixed policy in the template (sidguard lint checks it before deploy)."
	case DecisionTampered:
		f.Summary = "One of the guard's own roles has a trust policy other than the one its stack gives it: find who changed it; the guard restores the stack's policy when it runs in allow or require mode."
	}
	for _, c := range cs {
		h, ok := codeHelp[trustpolicy.Code(c)]
		switch {
		case !ok:
			f.Steps = append(f.Steps, FixStep{c, "not known to this report; see the finding's message"})
		case h.fixable && decision != DecisionWouldPatch:
			f.Steps = append(f.Steps, FixStep{c, "the guard can " + h.short + " once the rest is resolved"})
		default:
			f.Steps = append(f.Steps, FixStep{c, h.short})
		}
	}
	if len(cs) == 0 && decision == DecisionUnfixable {
		f.Steps = append(f.Steps, FixStep{"", "No finding: the reason says what stops the guard (e.g. a mode tag with a bad value, or a policy that does not parse)."})
	}
	return f
}

// limitListed sets Shown on every group: all its roles when the page can list every open role
// within budget, else the same number c for every group (fewer for a smaller group), the largest
// c >= 1 whose total fits.
func limitListed(accts []Account, budget int) {
	var sizes []int
	for _, a := range accts {
		for _, g := range a.Groups {
			sizes = append(sizes, len(g.Roles))
		}
	}
	total := func(c int) int {
		n := 0
		for _, s := range sizes {
			n += min(s, c)
		}
		return n
	}
	lo, hi := 1, slices.Max(append(sizes, 1))
	for lo < hi { // largest c in [1, max] with total(c) <= budget (c = 1 when none fits)
		mid := (lo + hi + 1) / 2
		if total(mid) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	for i := range accts {
		for j := range accts[i].Groups {
			g := &accts[i].Groups[j]
			g.Shown = min(len(g.Roles), lo)
		}
	}
}

func buildReadiness(ready map[string]ReadinessRecord, acct func(string) *Account, windows map[string]int, n *int) *ReadinessView {
	rv := &ReadinessView{}
	readyBy := map[string][]string{}
	type agg struct {
		b     Blocker
		roles []string
	}
	blockers := map[string]*agg{}
	for _, r := range ready {
		*n++
		a := acct(ReadinessAccountOf(r))
		a.ReadinessRoles++
		rv.Roles++
		if w := window(r); w != "" {
			windows[w]++
		}
		if r.Ready {
			a.ReadyRoles++
			rv.Ready++
			readyBy[a.Label] = append(readyBy[a.Label], r.Role)
			continue
		}
		rv.NotReady++
		listed := false
		for _, c := range r.Callers {
			if c.WithoutSourceIdentity == 0 && !c.Console {
				continue
			}
			listed = true
			g := blockers[c.Principal]
			if g == nil {
				g = &agg{b: Blocker{Principal: c.Principal}}
				blockers[c.Principal] = g
			}
			g.roles = append(g.roles, r.Role)
			g.b.Assumptions += c.Assumptions
			g.b.WithoutSourceIdentity += c.WithoutSourceIdentity
			if c.LastSeen > g.b.LastSeen { // RFC 3339 in UTC sorts as text
				g.b.LastSeen = c.LastSeen
			}
			if c.Client != "" && !slices.Contains(g.b.Clients, c.Client) {
				g.b.Clients = append(g.b.Clients, c.Client)
			}
			if c.Action != "" && !slices.Contains(g.b.Actions, c.Action) {
				g.b.Actions = append(g.b.Actions, c.Action)
			}
			g.b.Console = g.b.Console || c.Console
		}
		if !listed {
			rv.NoCallerListed++
		}
	}
	for label, roles := range readyBy {
		slices.Sort(roles)
		rv.ReadyByAccount = append(rv.ReadyByAccount, ReadyAccount{Label: label, Roles: roles})
	}
	slices.SortFunc(rv.ReadyByAccount, func(x, y ReadyAccount) int { return cmp.Compare(x.Label, y.Label) })
	for _, g := range blockers {
		slices.Sort(g.roles)
		g.roles = slices.Compact(g.roles)
		g.b.RoleCount = len(g.roles)
		g.b.Roles = g.roles[:min(len(g.roles), MaxRolesPerBlocker)]
		slices.Sort(g.b.Clients)
		slices.Sort(g.b.Actions)
		rv.Blockers = append(rv.Blockers, g.b)
	}
	slices.SortFunc(rv.Blockers, func(x, y Blocker) int {
		return cmp.Or(cmp.Compare(y.RoleCount, x.RoleCount), cmp.Compare(y.WithoutSourceIdentity, x.WithoutSourceIdentity),
			cmp.Compare(x.Principal, y.Principal))
	})
	if len(rv.Blockers) > MaxBlockers {
		rv.MoreBlockers = len(rv.Blockers) - MaxBlockers
		rv.Blockers = rv.Blockers[:MaxBlockers]
	}
	return rv
}
