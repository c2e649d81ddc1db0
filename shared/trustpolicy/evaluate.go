package trustpolicy

import "strings"

// Request is one authorization question: may Principal perform Action on this role, given the
// request context?
type Request struct {
	// Principal is the caller as "TYPE:VALUE" (TYPE is AWS, Service, Federated or
	// CanonicalUser), e.g. "AWS:arn:aws:iam::111122223333:role/ci" or
	// "Service:ec2.amazonaws.com". A value without a known TYPE prefix is an AWS principal.
	// A role session may be given as the role ARN (what trust policies name).
	Principal string
	// Action, e.g. "sts:AssumeRole" or "sts:SetSourceIdentity" (case-insensitive).
	Action string
	// Context holds the request's condition keys (matched case-insensitively). A key that is
	// missing or has no values is absent from the request.
	Context map[string][]string
}

// Decision is the outcome of Evaluate.
type Decision string

// Decisions, in IAM's words.
const (
	DecisionAllow        Decision = "allow"
	DecisionExplicitDeny Decision = "explicit-deny"
	DecisionImplicitDeny Decision = "implicit-deny"
)

// Result explains a Decision.
type Result struct {
	Decision Decision
	Allow    []int // indexes of the Allow statements that matched
	Deny     []int // indexes of the Deny statements that matched
	// Uncertain is set when a condition with an operator the model does not interpret was
	// met. Such a condition is taken as not matching.
	Uncertain bool
}

// Allowed reports Decision == DecisionAllow.
func (r Result) Allowed() bool { return r.Decision == DecisionAllow }

// Evaluate models how IAM evaluates the trust policy for one request: an explicit Deny wins,
// otherwise one matching Allow allows, otherwise the request is implicitly denied. A statement
// matches when its Principal names the caller (exactly, by account, by {"AWS":"*"} or by "*"),
// its Action/NotAction covers the action (IAM wildcards, case-insensitive) and every condition
// holds (operators AND'ed, keys AND'ed, values OR'ed; negated operators match none;
// IfExists, Null and the ForAllValues/ForAnyValue qualifiers as IAM documents them).
// Identity policies, SCPs, RCPs and session policies are outside the model.
func Evaluate(d *Document, req Request) Result {
	caller := parseCaller(req.Principal)
	ctx := &evalCtx{req: req.Context}
	vars := d.Version() == "2012-10-17"
	var res Result
	for i := range d.stmts {
		st := &d.stmts[i]
		if !st.names(caller) || !st.covers(req.Action) {
			continue
		}
		ok := true
		for j := range st.conds {
			switch st.conds[j].eval(ctx, vars) {
			case triFalse:
				ok = false
			case triUnknown:
				ok = false
				res.Uncertain = true
			}
			if !ok {
				break
			}
		}
		if !ok {
			continue
		}
		if st.allow {
			res.Allow = append(res.Allow, i)
		} else {
			res.Deny = append(res.Deny, i)
		}
	}
	switch {
	case len(res.Deny) > 0:
		res.Decision = DecisionExplicitDeny
	case len(res.Allow) > 0:
		res.Decision = DecisionAllow
	default:
		res.Decision = DecisionImplicitDeny
	}
	return res
}

func parseCaller(s string) principal {
	kind, v := "AWS", s
	if i := strings.IndexByte(s, ':'); i > 0 {
		switch s[:i] {
		case "AWS", "Service", "Federated", "CanonicalUser":
			kind, v = s[:i], s[i+1:]
		}
	}
	return principal{kind: kind, value: v, class: classify(kind, v)}
}

// names reports whether the statement's Principal names the caller.
func (st *statement) names(caller principal) bool {
	if st.wildcard {
		return true
	}
	for _, p := range st.principals {
		if matchesCaller(p, caller) {
			return true
		}
	}
	return false
}
