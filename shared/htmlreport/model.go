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
	case DecisionExempt:
		return StateExempt
	case DecisionSkipped:
		return StateSkipped
	}
	return StateOpen // would-patch, unfixable, failed
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
	Roles                  []OpenRole
}

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

// ReadinessView is the readiness part of the report.
type ReadinessView struct {
	Roles, Ready int
	ReadyRoles   []ReadinessRole // sorted by account, role
	Blocked      []ReadinessRole // most assumptions without a source identity first
}

// ReadinessRole is one readiness record with its account label and the callers that block it.
type ReadinessRole struct {
	ReadinessRecord
	AccountLabel string
	Window       string
	Blockers     []Caller // callers with assumptions without a source identity, or console sessions
}

// Report is everything the page shows. Build makes it; Render writes it.
type Report struct {
	Title     string
	Generated time.Time
	Generator string // e.g. "sidguard v1.2.3"
	Total     Tally
	Accounts  []Account // worst first: most open roles, then the lowest share requiring
	Readiness *ReadinessView
	Inputs    []InputInfo
	Modes     []Count // modes seen in the scan records
	Decisions []Count // decisions seen
	Codes     []Count // finding codes seen
	Windows   []Count // readiness windows seen
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
	ready := map[string]keyed[ReadinessRecord]{}
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
			ready[r.Role] = keyed[ReadinessRecord]{n, r}
			n++
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
	for a, gs := range groups {
		for _, g := range gs {
			slices.SortFunc(g.Roles, func(x, y OpenRole) int { return cmp.Or(cmp.Compare(x.Name, y.Name), cmp.Compare(x.ARN, y.ARN)) })
			a.Groups = append(a.Groups, *g)
		}
		slices.SortFunc(a.Groups, func(x, y OpenGroup) int {
			return cmp.Or(cmp.Compare(decisionRank(x.Decision), decisionRank(y.Decision)), cmp.Compare(len(y.Roles), len(x.Roles)),
				cmp.Compare(x.Mode, y.Mode), cmp.Compare(x.Reason, y.Reason), slices.Compare(x.Codes, y.Codes))
		})
	}

	if len(ready) > 0 {
		rv := &ReadinessView{}
		for _, kr := range ready {
			r := kr.rec
			rep.ReadinessRecords++
			a := acct(ReadinessAccountOf(r))
			a.ReadinessRoles++
			rv.Roles++
			rr := ReadinessRole{ReadinessRecord: r, AccountLabel: a.Label, Window: window(r)}
			if rr.Window != "" {
				windows[rr.Window]++
			}
			if r.Ready {
				a.ReadyRoles++
				rv.Ready++
				rv.ReadyRoles = append(rv.ReadyRoles, rr)
				continue
			}
			for _, c := range r.Callers {
				if c.WithoutSourceIdentity > 0 || c.Console {
					rr.Blockers = append(rr.Blockers, c)
				}
			}
			slices.SortFunc(rr.Blockers, func(x, y Caller) int {
				return cmp.Or(cmp.Compare(y.WithoutSourceIdentity, x.WithoutSourceIdentity), cmp.Compare(x.Principal, y.Principal))
			})
			rv.Blocked = append(rv.Blocked, rr)
		}
		slices.SortFunc(rv.ReadyRoles, func(x, y ReadinessRole) int {
			return cmp.Or(cmp.Compare(x.AccountLabel, y.AccountLabel), cmp.Compare(x.Role, y.Role))
		})
		slices.SortFunc(rv.Blocked, func(x, y ReadinessRole) int {
			return cmp.Or(cmp.Compare(y.WithoutSourceIdentity, x.WithoutSourceIdentity), cmp.Compare(y.ConsoleSessions, x.ConsoleSessions),
				cmp.Compare(x.AccountLabel, y.AccountLabel), cmp.Compare(x.Role, y.Role))
		})
		rep.Readiness = rv
	}

	for _, a := range accounts {
		rep.Accounts = append(rep.Accounts, *a)
	}
	slices.SortFunc(rep.Accounts, worstFirst)
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
		if _, known := fixable[f.Code]; !known {
			fv.Message = f.Message // needs a person, or a code this report does not know
		}
		o.Findings = append(o.Findings, fv)
	}
	return o
}

// fixable are the codes whose message says no more than code, statement and principals.
var fixable = map[trustpolicy.Code]string{
	trustpolicy.CodeMissingSetSourceIdentity: "add sts:SetSourceIdentity to the statement's actions for the principals listed, so that they can pass a source identity",
	trustpolicy.CodeMissingCondition:         `add a condition on sts:SourceIdentity (StringLike, the configured patterns; "*" by default) to the statement, so that the principals listed are refused without a source identity`,
}

// needsPerson says what a person must do about each code the guard does not fix.
var needsPerson = map[trustpolicy.Code]string{
	trustpolicy.CodeDenyConflict:      "a Deny statement blocks sts:SetSourceIdentity for these principals: reconcile it with the requirement (requiring a source identity would lock them out)",
	trustpolicy.CodeConditionConflict: "the statement's own conditions on sts:SourceIdentity refuse every accepted value: change them, or the patterns",
	trustpolicy.CodeWildcardPrincipal: `"Principal": "*" lets anyone (AWS services included) assume the role: name the principals, or use {"AWS": "*"} with conditions`,
	trustpolicy.CodeTooLarge:          `the fixed policy would exceed the "role trust policy length" quota: shorten the policy or raise the quota`,
	trustpolicy.CodeUniqueIDPrincipal: "the statement names the unique id of a deleted principal, which IAM may refuse to save: remove it",
	"internal-error":                  "the engine could not fix the policy (a bug): report it with the policy",
}

func fixFor(decision, mode string, cs []string) Fix {
	var f Fix
	switch decision {
	case DecisionWouldPatch:
		target := "require"
		if mode == ModeAllow {
			target = "allow"
		}
		f.Summary = fmt.Sprintf("The guard would rewrite the trust policy to %s a source identity (with sidguard scan --fix, or the guard in %s mode):", target, target)
	case DecisionUnfixable:
		f.Summary = "The guard writes nothing here: a person must act."
	case DecisionFailed:
		f.Summary = "The guard could not read or write the role; fix the cause (e.g. a missing permission) and scan again."
	}
	for _, c := range cs {
		code := trustpolicy.Code(c)
		if s, ok := fixable[code]; ok {
			if decision == DecisionWouldPatch {
				f.Steps = append(f.Steps, FixStep{c, s + "."})
			} else {
				f.Steps = append(f.Steps, FixStep{c, "the guard can " + s + ", once the rest is resolved."})
			}
		} else if s, ok := needsPerson[code]; ok {
			f.Steps = append(f.Steps, FixStep{c, s + "."})
		} else {
			f.Steps = append(f.Steps, FixStep{c, "not known to this report; see the finding's message."})
		}
	}
	if len(cs) == 0 && decision == DecisionUnfixable {
		f.Steps = append(f.Steps, FixStep{"", "No finding: the reason says what stops the guard (e.g. a mode tag with a bad value, or a policy that does not parse)."})
	}
	return f
}
