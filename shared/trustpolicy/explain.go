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
// Federated providers are listed too, with Mode "ignore": they are expected.
func Explain(d *Document, r Rules) []Exposure {
	var out []Exposure
	for i := range d.stmts {
		st := &d.stmts[i]
		if !st.allow {
			continue
		}
		reason, exposed := noSIReason(st)
		if !exposed {
			continue
		}
		if st.wildcard {
			acts := coveredAssume(st, actAssumeRole, actAssumeRoleWithSAML, actAssumeRoleWithWebIdentity)
			if len(acts) > 0 {
				out = append(out, Exposure{Statement: i, SID: st.sid, Principal: "*", Class: classWildcard.String(),
					Mode: ModeIgnore, Actions: acts, Reason: reason + `; "Principal": "*" also admits AWS services and needs a person`})
			}
			continue
		}
		for _, p := range st.principals {
			a := p.class.assumeAction()
			if a == "" || !st.covers(a) || d.surelyDeniedWithoutSI(p, a) {
				continue
			}
			out = append(out, Exposure{Statement: i, SID: st.sid, Principal: p.String(), Class: p.class.String(),
				Mode: r.modeFor(p), Actions: []string{a}, Reason: reason})
		}
	}
	return out
}

func coveredAssume(st *statement, acts ...string) []string {
	var out []string
	for _, a := range acts {
		if st.covers(a) {
			out = append(out, a)
		}
	}
	return out
}

// noSIReason decides whether the statement's conditions can hold for a first-hop request that
// carries no source identity, and says why.
func noSIReason(st *statement) (string, bool) {
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

// surelyDeniedWithoutSI: a Deny certainly names p, covers action and all its conditions are on
// sts:SourceIdentity and hold when the request carries none (e.g. Null "true").
func (d *Document) surelyDeniedWithoutSI(p principal, action string) bool {
	for i := range d.stmts {
		dn := &d.stmts[i]
		if dn.allow || !dn.namesAll(p) || !dn.covers(action) {
			continue
		}
		sure := true
		for j := range dn.conds {
			if !dn.conds[j].isSI() {
				sure = false
				break
			}
		}
		if sure && siSureAbsent(dn.conds) {
			return true
		}
	}
	return false
}
