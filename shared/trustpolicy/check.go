package trustpolicy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// change is what one group of principals in an Allow statement needs.
type change struct {
	ssi  bool // add sts:SetSourceIdentity
	cond bool // add the StringLike sts:SourceIdentity condition
}

func (c change) none() bool { return !c.ssi && !c.cond }

// stmtPlan is the analysis of one statement under the rules. Check, Fix and Explain all read
// it, so what Explain says gets in without a source identity is what Check reports.
type stmtPlan struct {
	changes  []change // per principal (parallel to statement.principals)
	exposed  []bool   // per principal: this statement lets it assume without a source identity
	wildActs []string // bare "*": the assume actions anyone may call without a source identity
	wildcard bool     // bare "*" that needs a person (wildcard-principal)
	conflict Code     // CodeDenyConflict or CodeConditionConflict: leave the statement alone
	denyIdx  int      // the Deny statement behind a CodeDenyConflict
	blocked  []int    // principals (indexes) the conflict concerns
	anyAWS   int      // index+1 of a {"AWS":"*"} principal that every account can use (any-aws-account); 0 none
}

func (p *stmtPlan) needsFix() bool {
	// A condition-conflict concerns the whole statement; a deny-conflict only the principals
	// the Deny may apply to (their change is cleared), so the others are still fixed.
	if p.conflict == CodeConditionConflict || p.wildcard {
		return false
	}
	for _, c := range p.changes {
		if !c.none() {
			return true
		}
	}
	return false
}

// anyone is the caller set of a bare "Principal": "*".
var anyone = principal{kind: "", value: "*", class: classWildcard}

// analyze computes a plan for every statement.
func analyze(d *Document, r Rules) []stmtPlan {
	plans := make([]stmtPlan, len(d.stmts))
	for i := range d.stmts {
		st := &d.stmts[i]
		if !st.allow {
			continue
		}
		pl := &plans[i]
		open := noSIOpen(st)
		if st.wildcard {
			for _, a := range [...]string{actAssumeRole, actAssumeRoleWithSAML, actAssumeRoleWithWebIdentity} {
				if open && st.covers(a) && !d.surelyDeniedWithoutSI(i, anyone, a) {
					pl.wildActs = append(pl.wildActs, a)
				}
			}
			pl.wildcard = wildcardNeedsPerson(st, r, pl.wildActs)
			if !pl.wildcard && st.covers(actAssumeRole) {
				// Compliant as written; still, a Deny may make the source identity unusable.
				anyAWS := principal{kind: "AWS", value: "*", class: classAWSAny}
				pl.conflict, pl.denyIdx = d.conflict(i, anyAWS, false, r)
			}
			continue
		}
		enforcing := st.enforcing()
		for j, p := range st.principals {
			a := p.class.assumeAction()
			if a == "" || !st.covers(a) {
				continue
			}
			// A Deny that surely refuses p's assume request without a source identity whenever
			// this statement admits it (the "Deny ... Null sts:SourceIdentity true" pattern)
			// enforces it as well as a condition here would.
			denied := d.surelyDeniedWithoutSI(i, p, a)
			if open && !denied {
				if pl.exposed == nil {
					pl.exposed = make([]bool, len(st.principals))
				}
				pl.exposed[j] = true
			}
			m := r.modeFor(p)
			if m == ModeIgnore {
				continue
			}
			if p.class == classAWSAny && pl.anyAWS == 0 && d.anyAccount(i) {
				pl.anyAWS = j + 1
			}
			ch := change{ssi: !d.ssiCovered(i, p), cond: m == ModeRequire && !enforcing && !denied}
			if code, deny := d.conflict(i, p, ch.cond, r); code != "" {
				if pl.conflict == "" || code == CodeConditionConflict {
					pl.conflict, pl.denyIdx = code, deny
				}
				pl.blocked = append(pl.blocked, j)
				ch = change{} // left as is
			}
			if pl.changes == nil {
				pl.changes = make([]change, len(st.principals))
			}
			pl.changes[j] = ch
		}
	}
	return plans
}

// wildcardNeedsPerson: a bare "Principal":"*" statement needs a person when it grants an assume
// action without sts:SetSourceIdentity to a class of callers the rules cover, or lets anyone in
// without a source identity (wildActs) where the rules require one. "*" includes every AWS
// service and anyone holding a SAML assertion or web identity token STS accepts, so for the
// SAML and web identity actions the rules are the Federated rules' strongest mode or, when no
// provider is opted in, Rules.Mode: no opt-out of a provider covers callers of every provider.
func wildcardNeedsPerson(st *statement, r Rules, wildActs []string) bool {
	fed := ModeIgnore
	for _, f := range r.Federated {
		if f.Mode == ModeRequire || f.Mode == ModeAllow && fed == ModeIgnore {
			fed = f.Mode
		}
	}
	if fed == ModeIgnore {
		fed = r.mode()
	}
	for _, am := range [...]struct {
		action string
		mode   Mode
	}{{actAssumeRole, r.mode()}, {actAssumeRoleWithSAML, fed}, {actAssumeRoleWithWebIdentity, fed}} {
		if !st.covers(am.action) {
			continue
		}
		if !st.covers(actSetSourceIdentity) || am.mode == ModeRequire && slices.Contains(wildActs, am.action) {
			return true
		}
	}
	return false
}

// anyAccount reports whether Allow statement i lets every AWS account assume the role through
// {"AWS":"*"}: it has no condition except on the source identity keys, and no Deny that covers
// sts:AssumeRole carries a condition on another key (a fence such as aws:PrincipalOrgID).
func (d *Document) anyAccount(i int) bool {
	for _, c := range d.stmts[i].conds {
		if !c.isSI() && !strings.EqualFold(c.key, keyAWSSourceIdentity) {
			return false
		}
	}
	for k := range d.stmts {
		dn := &d.stmts[k]
		if dn.allow || !dn.covers(actAssumeRole) {
			continue
		}
		if len(dn.conds) == 0 {
			return false // denies everyone it names, unconditionally
		}
		for _, c := range dn.conds {
			if !c.isSI() {
				return false
			}
		}
	}
	return true
}

// enforcing reports whether the statement has a recognised enforcing condition.
func (st *statement) enforcing() bool {
	for i := range st.conds {
		if st.conds[i].enforcesSI() {
			return true
		}
	}
	return false
}

// ssiCovered reports whether sts:SetSourceIdentity is allowed to p whenever statement i allows
// p to assume: by statement i itself, or by another Allow statement that grants it to p directly
// (grantsDirectly) and whose
// conditions are a subset of statement i's and that grants no assume action to p (such as the
// sibling Fix writes for a NotAction statement).
func (d *Document) ssiCovered(i int, p principal) bool {
	st := &d.stmts[i]
	if st.covers(actSetSourceIdentity) {
		return true
	}
	for k := range d.stmts {
		o := &d.stmts[k]
		// o must not grant p's assume action itself: Fix may add a condition to such a
		// statement, and coverage must not depend on the order statements are fixed in.
		if k == i || !o.allow || !o.covers(actSetSourceIdentity) || !o.grantsDirectly(p) || o.covers(p.class.assumeAction()) {
			continue
		}
		if condSubset(o.conds, st.conds) {
			return true
		}
	}
	return false
}

// namesAll reports whether the statement's Principal certainly includes every caller p names:
// the same principal (names compared ignoring case, as IAM does), {"AWS":"*"}, p's account, or
// the role of a session principal.
func (st *statement) namesAll(p principal) bool {
	if st.wildcard {
		return true
	}
	for _, q := range st.principals {
		if q.kind == p.kind && (sameEntity(q, p) || q.class == classAWSAny || roleCovers(q, p) ||
			q.class == classAccount && p.account() != "" && q.account() == p.account() && samePartition(p, q)) {
			return true
		}
	}
	return false
}

// samePartition: the two principal values cannot be in different partitions (a bare account id
// has none of its own).
func samePartition(a, b principal) bool {
	pa, _, _, _, oka := splitARN(a.value)
	pb, _, _, _, okb := splitARN(b.value)
	return !oka || !okb || pa == pb
}

// grantsDirectly reports whether an Allow statement's Principal grants its actions to every
// caller p names by itself. Unlike a Deny (namesAll), an Allow that names an account only
// delegates to the account's identity policies: a role named in statement i but granted
// sts:SetSourceIdentity only through its account's principal needs that action in its own
// permissions too (docs/trust-policy-engine.md, "SetSourceIdentity granted elsewhere"), which a same-account role usually lacks because naming it
// in the trust policy was enough to assume. So only the same principal, the same account (for an
// account principal), {"AWS":"*"} or "*" count.
func (st *statement) grantsDirectly(p principal) bool {
	if st.wildcard {
		return true
	}
	for _, q := range st.principals {
		if q.kind == p.kind && (sameEntity(q, p) || q.class == classAWSAny ||
			q.class == classAccount && p.class == classAccount && q.account() == p.account()) {
			return true
		}
	}
	return false
}

// condSubset: every condition of a also appears in b, so a holds whenever b does.
func condSubset(a, b []condition) bool {
	for i := range a {
		found := false
		for j := range b {
			if sameCondition(&a[i], &b[j]) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func sameCondition(a, b *condition) bool {
	if a.op != b.op || !strings.EqualFold(a.key, b.key) || len(a.values) != len(b.values) {
		return false
	}
	for i := range a.values {
		if a.values[i] != b.values[i] {
			return false
		}
	}
	return true
}

// conflict decides whether requiring (or, with cond false, merely allowing) a source identity
// for principal p of Allow statement i would lock p out. It tries candidate source identities
// (witnesses of the rules' patterns and of every value the policy compares sts:SourceIdentity
// with): the patch is safe when one candidate passes statement i's own conditions on
// sts:SourceIdentity and no Deny that may apply to p blocks it in a situation where that Deny
// does not already block p's plain assume request.
func (d *Document) conflict(i int, p principal, cond bool, r Rules) (Code, int) {
	st := &d.stmts[i]
	action := p.class.assumeAction()
	pats := r.patterns()
	vars := d.Version() == "2012-10-17"
	who := factsOf(p)
	var admitted []string
	for _, v := range d.candidates(pats, who) {
		if cond && !matchesAny(pats, v) {
			continue
		}
		if siMay(st.conds, v, vars, who) {
			admitted = append(admitted, v)
		}
	}
	if len(admitted) == 0 {
		return CodeConditionConflict, -1
	}
	firstDeny := -1
	for _, v := range admitted {
		blocked := false
		for k := range d.stmts {
			dn := &d.stmts[k]
			if dn.allow || !dn.mayName(p) {
				continue
			}
			if newLockout(dn, action, v, vars, who) {
				blocked = true
				if firstDeny < 0 {
					firstDeny = k
				}
				break
			}
		}
		if !blocked {
			return "", -1
		}
	}
	return CodeDenyConflict, firstDeny
}

// newLockout: Deny dn blocks a request that carries source identity v (which IAM authorizes as
// the assume action plus sts:SetSourceIdentity) in a situation where it does not surely block
// the same principal's assume request without a source identity. The Deny's conditions are
// evaluated where the principal fixes their value (who: aws:PrincipalArn, aws:username, ...):
// one that surely fails for p means the Deny cannot apply to it; any other key may hold.
func newLockout(dn *statement, action, v string, vars bool, who *facts) bool {
	if !dn.covers(actSetSourceIdentity) && !dn.covers(action) {
		return false
	}
	if !denyMay(dn.conds, v, vars, who) {
		return false
	}
	return !(dn.covers(action) && siSureAbsent(dn.conds))
}

// denyMay: every condition may hold for a request by a caller described by who that carries
// source identity v (conditions on keys neither fixes are taken to hold).
func denyMay(conds []condition, v string, vars bool, who *facts) bool {
	ctx := evalCtx{only: true, partial: true, si: [1]string{v}, who: who, siName: who != nil && v == who.username[0]}
	for i := range conds {
		if conds[i].eval(&ctx, vars) == triFalse {
			return false
		}
	}
	return true
}

// mayName reports whether the statement's Principal may include a caller that p names.
func (st *statement) mayName(p principal) bool {
	if st.wildcard {
		return true
	}
	for _, q := range st.principals {
		if overlaps(q, p) {
			return true
		}
	}
	return false
}

func matchesAny(pats []string, v string) bool {
	for _, p := range pats {
		if Match(p, v) {
			return true
		}
	}
	return false
}

// siMay: every condition on sts:SourceIdentity may hold when the request carries v. With vars
// (Version 2012-10-17) a condition whose values use a policy variable ("${aws:username}") is
// evaluated only when who fixes every variable it uses (an IAM user's aws:username); otherwise it
// may hold for some caller whatever v is: the variable resolves per request, so it is not
// compared literally (compared literally, no source identity could ever match it).
func siMay(conds []condition, v string, vars bool, who *facts) bool {
	ctx := evalCtx{only: true, si: [1]string{v}, who: who}
	for i := range conds {
		c := &conds[i]
		if !c.isSI() {
			continue
		}
		if vars && c.hasVariable() && !who.fixesAll(c.values) {
			continue
		}
		if c.eval(&ctx, vars) == triFalse {
			return false
		}
	}
	return true
}

// siSureAbsent: every condition on sts:SourceIdentity surely holds when the request carries none.
func siSureAbsent(conds []condition) bool {
	ctx := evalCtx{only: true}
	for i := range conds {
		if conds[i].isSI() && conds[i].eval(&ctx, false) != triTrue {
			return false
		}
	}
	return true
}

// candidates returns source identities to try: witnesses of each pattern and of each value the
// policy compares sts:SourceIdentity with, and the values the principal fixes that a policy
// variable may stand for (an IAM user's name).
func (d *Document) candidates(pats []string, who *facts) []string {
	out := make([]string, 0, 3*len(pats)+6)
	if who != nil && who.username[0] != "" && validSourceIdentity(who.username[0]) {
		out = append(out, who.username[0])
	}
	add := func(s string) {
		if strings.Contains(s, "${") {
			return
		}
		for _, fill := range witnessFills {
			w := witness(s, fill)
			if validSourceIdentity(w) && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	for _, p := range pats {
		add(p)
	}
	add("*")
	for i := range d.stmts {
		for j := range d.stmts[i].conds {
			c := &d.stmts[i].conds[j]
			if c.isSI() && c.info.fam != famNull {
				for _, v := range c.values {
					add(v)
				}
			}
		}
	}
	return out
}

// validSourceIdentity reports whether STS accepts v as a source identity
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html): 2 to 64
// characters of [A-Za-z0-9_+=,.@-], not starting with "aws:" (which the alphabet already
// excludes). A candidate STS would refuse proves nothing: with StringLikeIfExists "a" the only
// value the condition admits is one no caller can send.
func validSourceIdentity(v string) bool {
	if len(v) < 2 || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			return false
		}
	}
	return true
}

// witnessFills are the texts a '*' becomes in witnesses. One filler is not enough: with
// StringLike "*" and StringNotLike "a*" the witness "aa" fails while "zz" passes.
var witnessFills = [...]string{"aa", "zz", "90"}

// witness turns a pattern into one concrete value it matches, '*' becoming fill and '?' its
// first character.
func witness(p, fill string) string {
	if !strings.ContainsAny(p, "*?") {
		return p
	}
	if p == "*" {
		return fill // the common case, without allocating
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*':
			b.WriteString(fill)
		case '?':
			b.WriteByte(fill[0])
		default:
			b.WriteByte(p[i])
		}
	}
	return b.String()
}

// Check returns the reasons d is not compliant under r (nil when it is). Findings are ordered by
// statement; a statement with a condition-conflict reports only that; one with a deny-conflict
// reports it for the principals the Deny blocks, then what the other principals need.
//
// Check is Fix without its result: it reports CodeTooLarge exactly when Fix would refuse, and
// never marks a finding Fixed.
func Check(d *Document, r Rules) []Finding {
	_, fs := fix(d, r)
	for k := range fs {
		fs[k].Fixed = false
	}
	return fs
}

func findings(d *Document, plans []stmtPlan, r Rules) []Finding {
	var out []Finding
	for i := range plans {
		pl := &plans[i]
		st := &d.stmts[i]
		label := stmtLabel(i, st)
		f := Finding{Statement: i, SID: st.sid}
		switch {
		case pl.wildcard:
			f.Code = CodeWildcardPrincipal
			f.Principals = []string{"*"}
			if len(pl.wildActs) > 0 {
				f.Message = label + ` lets anyone ("Principal": "*", AWS services included) call ` + strings.Join(pl.wildActs, ", ") + ` without a source identity; needs a person: name the principals, or use {"AWS": "*"} with conditions`
			} else {
				f.Message = label + ` grants "Principal": "*" an assume action without sts:SetSourceIdentity, and a bare "*" is never rewritten (it admits AWS services); needs a person: name the principals, or use {"AWS": "*"} with conditions`
			}
			out = append(out, f)
			continue
		case pl.conflict != "":
			f.Code = pl.conflict
			f.Principals = principalNames(st, pl.blocked)
			who := describe(st, pl.blocked)
			if st.wildcard {
				f.Principals, who = []string{"*"}, `anyone ("Principal": "*")`
			}
			if pl.conflict == CodeDenyConflict {
				f.Message = fmt.Sprintf("%s left as is: Deny %s blocks sts:SetSourceIdentity for %s, so requiring a source identity would lock it out", label, stmtLabel(pl.denyIdx, &d.stmts[pl.denyIdx]), who)
			} else {
				f.Message = fmt.Sprintf("%s left as is: its conditions on sts:SourceIdentity refuse every source identity matching %s, so requiring one would lock out %s", label, strings.Join(r.patterns(), ", "), who)
			}
			out = append(out, f)
			if pl.conflict == CodeConditionConflict {
				continue
			}
			f = Finding{Statement: i, SID: st.sid} // the principals no Deny blocks, below
		}
		var ssi, cond, unrec []int
		for j, c := range pl.changes {
			if c.ssi {
				ssi = append(ssi, j)
			}
			switch {
			case c.cond && pl.exposed != nil && pl.exposed[j]:
				cond = append(cond, j)
			case c.cond:
				unrec = append(unrec, j)
			}
		}
		if len(ssi) > 0 {
			f.Code = CodeMissingSetSourceIdentity
			f.Principals = principalNames(st, ssi)
			f.Message = label + " does not allow sts:SetSourceIdentity for " + describe(st, ssi) + ", so it cannot pass a source identity"
			out = append(out, f)
		}
		if len(cond) > 0 {
			f.Code = CodeMissingCondition
			f.Principals = principalNames(st, cond)
			f.Message = label + " lets " + describe(st, cond) + " assume the role without a source identity"
			out = append(out, f)
		}
		if len(unrec) > 0 {
			f.Code = CodeUnrecognisedCondition
			f.Principals = principalNames(st, unrec)
			f.Message = label + " refuses " + describe(st, unrec) + " without a source identity only through a condition the guard does not rely on (" + unrecognisedForms(st) + "); the recognised StringLike sts:SourceIdentity condition is added"
			out = append(out, f)
		}
		if pl.anyAWS > 0 {
			f.Code = CodeAnyAWSAccount
			f.Principals = []string{st.principals[pl.anyAWS-1].String()}
			f.Message = label + ` trusts {"AWS": "*"} with no condition but on the source identity, and no Deny fences it: any AWS account can assume the role; a source identity is still required, but who may assume is for a person to decide (e.g. add an aws:PrincipalOrgID condition)`
			out = append(out, f)
		}
		if len(ssi)+len(cond)+len(unrec) > 0 {
			for _, p := range st.principals {
				if p.class == classUniqueID {
					f.Code = CodeUniqueIDPrincipal
					f.Principals = []string{p.String()}
					f.Message = fmt.Sprintf("%s names %s, the unique id of a deleted principal; IAM may refuse to save the fixed policy (Invalid principal in policy) until it is removed", label, p.value)
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// unrecognisedForms names the conditions on the source identity keys that refuse a request
// without one but are not forms the rules recognise.
func unrecognisedForms(st *statement) string {
	none := &evalCtx{only: true}
	var forms []string
	for i := range st.conds {
		c := &st.conds[i]
		if (c.isSI() || strings.EqualFold(c.key, keyAWSSourceIdentity)) && c.eval(none, false) == triFalse {
			forms = append(forms, c.op+" on "+c.key)
		}
	}
	return strings.Join(forms, ", ")
}

func stmtLabel(i int, st *statement) string {
	if st.sid != "" {
		return "statement " + strconv.Itoa(i) + " (Sid " + strconv.Quote(st.sid) + ")"
	}
	return "statement " + strconv.Itoa(i)
}

func principalNames(st *statement, idx []int) []string {
	out := make([]string, len(idx))
	for k, j := range idx {
		out[k] = st.principals[j].String()
	}
	return out
}

// describe renders principals for a message, e.g. "AWS principal arn:aws:iam::1:role/a".
func describe(st *statement, idx []int) string {
	const show = 3
	var b strings.Builder
	for k, j := range idx {
		if k > 0 {
			b.WriteString(", ")
		}
		if k == show {
			b.WriteString(strconv.Itoa(len(idx)-show) + " more")
			break
		}
		p := st.principals[j]
		switch {
		case p.class == classAWSAny:
			b.WriteString(`any AWS principal ("AWS": "*")`)
		case p.class.isAWS():
			b.WriteString("AWS principal ")
			b.WriteString(p.value)
		default:
			b.WriteString(p.class.String())
			b.WriteString(" ")
			b.WriteString(p.value)
		}
	}
	return b.String()
}
