package trustpolicy

import (
	"fmt"
	"strings"
)

// Exposure is one principal that can assume the role without a source identity. Mode is what
// Fix does for it: ModeIgnore for Service principals, ignored Federated providers and a bare
// "Principal": "*" (which Fix never changes: it needs a person).
type Exposure struct {
	Statement int      `json:"statement"`
	SID       string   `json:"sid,omitempty"`
	Principal string   `json:"principal"` // "AWS:arn:...", "Service:...", "Federated:...", or "*"
	Class     string   `json:"class"`     // e.g. "IAM role", "AWS service", "SAML provider"
	Mode      Mode     `json:"mode"`      // what the rules do for this principal
	Actions   []string `json:"actions"`   // assume actions it can call without a source identity
	Reason    string   `json:"reason"`    // why no source identity is needed, in plain words
}

// Explain lists who can assume the role without a source identity, and why: every principal of
// an Allow statement that grants an assume action whose conditions on sts:SourceIdentity (and
// aws:SourceIdentity) can hold when the request carries none, unless a Deny surely refuses such
// requests. Conditions on other keys are assumed to hold. Service principals and ignored
// Federated providers are listed too, with Mode "ignore": they are expected. It reads the same
// analysis as Check: a principal the rules cover is listed exactly when Check reports that it
// gets in without a source identity (missing-source-identity-condition, wildcard-principal, or
// a conflict that leaves it so).
func Explain(d *Document, r Rules) []Exposure {
	var out []Exposure
	plans := analyze(d, r)
	for i := range plans {
		pl := &plans[i]
		st := &d.stmts[i]
		reason, _ := noSIReason(st)
		if st.wildcard {
			if len(pl.wildActs) > 0 {
				out = append(out, Exposure{Statement: i, SID: st.sid, Principal: "*", Class: classWildcard.String(),
					Mode: ModeIgnore, Actions: pl.wildActs, Reason: reason + `; "Principal": "*" also admits AWS services and needs a person`})
			}
			continue
		}
		for j, p := range st.principals {
			if pl.exposed == nil || !pl.exposed[j] {
				continue
			}
			out = append(out, Exposure{Statement: i, SID: st.sid, Principal: p.String(), Class: p.class.String(),
				Mode: r.modeFor(p), Actions: []string{p.class.assumeAction()}, Reason: reason})
		}
	}
	return out
}

// noSIOpen reports whether the statement's conditions on the source identity keys can all hold
// for a first-hop request that carries no source identity (conditions on other keys are taken
// to hold). It allocates nothing: Check calls it for every Allow statement.
func noSIOpen(st *statement) bool {
	none := evalCtx{only: true}
	for i := range st.conds {
		c := &st.conds[i]
		if (c.isSI() || strings.EqualFold(c.key, keyAWSSourceIdentity)) && c.eval(&none, false) == triFalse {
			return false
		}
	}
	return true
}

// noSIReason decides whether the statement's conditions can hold for a first-hop request that
// carries no source identity, and says why.
func noSIReason(st *statement) (string, bool) {
	if !noSIOpen(st) {
		return "", false
	}
	none := &evalCtx{only: true}
	var notes []string
	sawSTS, sawAWS := false, false
	for i := range st.conds {
		c := &st.conds[i]
		sts := c.isSI()
		aws := strings.EqualFold(c.key, keyAWSSourceIdentity)
		if !sts && !aws {
			continue
		}
		if c.eval(none, false) == triFalse {
			return "", false // this condition refuses requests without a source identity
		}
		sawSTS = sawSTS || sts
		sawAWS = sawAWS || aws
		notes = append(notes, conditionNote(c, aws))
	}
	switch {
	case !sawSTS && !sawAWS:
		return "no condition on sts:SourceIdentity", true
	case !sawSTS:
		return strings.Join(notes, "; ") + "; sts:SourceIdentity is not checked", true
	}
	return strings.Join(notes, "; "), true
}

func conditionNote(c *condition, aws bool) string {
	var s string
	switch {
	case c.info.fam == famUnknown:
		s = fmt.Sprintf("operator %s is not one IAM defines, so it cannot be relied on", c.op)
	case c.info.fam == famNull:
		s = fmt.Sprintf("condition Null %q admits callers without a source identity", strings.Join(c.values, `", "`))
	case c.ifExists:
		s = fmt.Sprintf("condition uses %s, which passes when the key is absent", c.op)
	case c.set == setForAll:
		s = fmt.Sprintf("condition uses %s, which passes when the key is absent", c.op)
	case c.info.negated:
		s = fmt.Sprintf("condition uses %s, a negated operator, which passes when no source identity is set", c.op)
	default:
		s = fmt.Sprintf("condition %s passes without a source identity", c.op)
	}
	if aws {
		s += " (on aws:SourceIdentity, which is absent on a first hop)"
	}
	return s
}

// surelyDeniedWithoutSI: whenever Allow statement i admits p's request for action without a
// source identity, a Deny refuses it. The Deny certainly names p, covers action, its conditions
// on sts:SourceIdentity hold when none is set (Null "true"), and each other condition either
// appears in statement i too (the same operator, key and values: it holds whenever statement i
// applies) or surely holds for p (a key p fixes, such as aws:PrincipalAccount).
func (d *Document) surelyDeniedWithoutSI(i int, p principal, action string) bool {
	var who *facts
	for k := range d.stmts {
		dn := &d.stmts[k]
		if dn.allow || !dn.namesAll(p) || !dn.covers(action) || !siSureAbsent(dn.conds) {
			continue
		}
		sure := true
		for j := range dn.conds {
			c := &dn.conds[j]
			if c.isSI() || condIn(c, d.stmts[i].conds) {
				continue
			}
			if who == nil {
				who = factsOf(p)
			}
			ctx := evalCtx{only: true, partial: true, who: who}
			if c.eval(&ctx, d.Version() == "2012-10-17") != triTrue {
				sure = false
				break
			}
		}
		if sure {
			return true
		}
	}
	return false
}

// condIn reports whether conds has a condition identical to c.
func condIn(c *condition, conds []condition) bool {
	for j := range conds {
		if sameCondition(c, &conds[j]) {
			return true
		}
	}
	return false
}
