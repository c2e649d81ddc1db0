package trustpolicy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The property tests generate trust policies from a small vocabulary (principals, actions and
// conditions that interact with the source identity), run Fix, and compare what Evaluate allows
// before and after over a grid of callers, actions and request contexts.

const (
	samlProvider = "arn:aws:iam::111122223333:saml-provider/Okta"
	oidcProvider = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
)

var (
	genPrincipals = []string{
		`"AWS":"arn:aws:iam::111122223333:root"`,
		`"AWS":"arn:aws:iam::111122223333:role/a"`,
		`"AWS":["arn:aws:iam::444455556666:role/b","arn:aws:iam::111122223333:role/a"]`,
		`"AWS":"*"`,
		`"AWS":"444455556666"`,
		`"Service":"ec2.amazonaws.com"`,
		`"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]`,
		`"Federated":"` + samlProvider + `"`,
		`"Federated":"` + oidcProvider + `"`,
		// The same role and user in other spellings: IAM names are unique ignoring case.
		`"AWS":"arn:aws:iam::111122223333:role/A"`,
		`"AWS":"arn:aws:sts::111122223333:assumed-role/A/s"`,
		`"AWS":"arn:aws:iam::111122223333:user/bob"`,
		`"AWS":"arn:aws:iam::111122223333:user/Bob"`,
	}
	genActions = []string{
		"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
		"sts:SetSourceIdentity", "sts:TagSession", "sts:*", "*", "sts:Assume*", "sts:Set*",
		"STS:assumerole", "iam:PassRole",
	}
	genConditions = []struct{ op, key, val string }{
		{"StringEquals", "aws:PrincipalOrgID", `"o-1"`},
		{"StringNotEquals", "aws:PrincipalOrgID", `"o-1"`},
		{"StringEquals", "sts:ExternalId", `"ext"`},
		{"Bool", "aws:MultiFactorAuthPresent", `"true"`},
		{"StringLike", "sts:SourceIdentity", `"*"`},
		{"StringEquals", "sts:SourceIdentity", `"alice"`},
		{"StringEqualsIgnoreCase", "STS:SourceIdentity", `["ALICE","bob1"]`},
		{"StringLikeIfExists", "sts:SourceIdentity", `"*"`},
		{"StringNotLike", "sts:SourceIdentity", `"bob*"`},
		{"Null", "sts:SourceIdentity", `"true"`},
		{"Null", "sts:SourceIdentity", `false`},
		{"Null", "sts:SourceIdentity", `["true","false"]`},
		{"ForAllValues:StringLike", "sts:SourceIdentity", `"*"`},
		{"StringLike", "aws:SourceIdentity", `"*"`},
		{"StringEquals", "sts:SourceIdentity", `"${aws:username}"`},
		{"StringNotLike", "sts:SourceIdentity", `"a*"`},
		{"StringLikeIfExists", "sts:SourceIdentity", `"a"`},
		{"StringNotEquals", "sts:SourceIdentity", `"${aws:username}"`},
		// Keys the principal fixes (issue 7: a Deny that cannot apply to the principal).
		{"ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*:role/b*"`},
		{"ArnLike", "aws:PrincipalArn", `"arn:aws:iam::111122223333:role/a"`},
		{"ArnNotLike", "aws:PrincipalArn", `"arn:aws:iam::111122223333:role/a"`},
		{"ArnLike", "aws:PrincipalArn", `"arn:aws:iam::111122223333:role/A"`},
		{"StringEquals", "aws:PrincipalAccount", `"111122223333"`},
		{"StringNotEquals", "aws:PrincipalAccount", `"111122223333"`},
		{"StringEquals", "aws:PrincipalType", `"User"`},
	}
	callers = []string{
		"AWS:arn:aws:iam::111122223333:role/a",
		"AWS:arn:aws:iam::444455556666:role/b",
		"AWS:arn:aws:iam::777788889999:user/x",
		"AWS:arn:aws:iam::111122223333:user/bob",
		"Service:ec2.amazonaws.com",
		"Federated:" + samlProvider,
		"Federated:" + oidcProvider,
	}
	evalActions = []string{
		actAssumeRole, actAssumeRoleWithSAML, actAssumeRoleWithWebIdentity,
		actSetSourceIdentity, actTagSession, "iam:PassRole",
	}
)

// genPolicy draws a policy text.
func genPolicy(t *rapid.T) string {
	n := rapid.IntRange(1, 4).Draw(t, "statements")
	var stmts []string
	for i := 0; i < n; i++ {
		var b strings.Builder
		b.WriteString("{")
		if rapid.Bool().Draw(t, "sid") {
			fmt.Fprintf(&b, `"Sid":"S%d",`, i)
		}
		effect := "Allow"
		if rapid.IntRange(0, 4).Draw(t, "effect") == 0 {
			effect = "Deny"
		}
		fmt.Fprintf(&b, `"Effect":%q,`, effect)
		if rapid.IntRange(0, 15).Draw(t, "bare") == 0 {
			b.WriteString(`"Principal":"*",`)
		} else {
			kinds := map[string]bool{}
			var ps []string
			for _, k := range rapid.SliceOfNDistinct(rapid.IntRange(0, len(genPrincipals)-1), 1, 3, rapid.ID[int]).Draw(t, "principals") {
				p := genPrincipals[k]
				kind := p[:strings.IndexByte(p[1:], '"')+2]
				if kinds[kind] {
					continue
				}
				kinds[kind] = true
				ps = append(ps, p)
			}
			fmt.Fprintf(&b, `"Principal":{%s},`, strings.Join(ps, ","))
		}
		key := "Action"
		if rapid.IntRange(0, 5).Draw(t, "notAction") == 0 {
			key = "NotAction"
		}
		acts := rapid.SliceOfNDistinct(rapid.SampledFrom(genActions), 1, 3, rapid.ID[string]).Draw(t, "actions")
		if len(acts) == 1 && rapid.Bool().Draw(t, "stringAction") {
			fmt.Fprintf(&b, `%q:%q`, key, acts[0])
		} else {
			fmt.Fprintf(&b, `%q:["%s"]`, key, strings.Join(acts, `","`))
		}
		conds := rapid.SliceOfNDistinct(rapid.IntRange(0, len(genConditions)-1), 0, 3, rapid.ID[int]).Draw(t, "conditions")
		if len(conds) > 0 {
			byOp := map[string][]string{}
			var ops []string
			for _, k := range conds {
				c := genConditions[k]
				dup := false
				for _, kv := range byOp[c.op] {
					if strings.HasPrefix(strings.ToLower(kv), strings.ToLower(fmt.Sprintf("%q", c.key))) {
						dup = true
					}
				}
				if dup {
					continue
				}
				if byOp[c.op] == nil {
					ops = append(ops, c.op)
				}
				byOp[c.op] = append(byOp[c.op], fmt.Sprintf("%q:%s", c.key, c.val))
			}
			var parts []string
			for _, op := range ops {
				parts = append(parts, fmt.Sprintf("%q:{%s}", op, strings.Join(byOp[op], ",")))
			}
			fmt.Fprintf(&b, `,"Condition":{%s}`, strings.Join(parts, ","))
		}
		b.WriteString("}")
		stmts = append(stmts, b.String())
	}
	version := rapid.SampledFrom([]string{`"Version":"2012-10-17",`, `"Version":"2008-10-17",`, ""}).Draw(t, "version")
	if n == 1 && rapid.Bool().Draw(t, "single") {
		return "{" + version + `"Statement":` + stmts[0] + "}"
	}
	return "{" + version + `"Statement":[` + strings.Join(stmts, ",") + "]}"
}

func genRules(t *rapid.T) Rules {
	r := Rules{Mode: rapid.SampledFrom([]Mode{ModeRequire, ModeAllow}).Draw(t, "mode")}
	if rapid.Bool().Draw(t, "patterns") {
		r.Patterns = []string{"*@example.com"}
	}
	switch rapid.IntRange(0, 2).Draw(t, "federated") {
	case 1:
		r.Federated = []FederatedRule{{Provider: "*:saml-provider/*", Mode: ModeRequire}}
	case 2:
		r.Federated = []FederatedRule{{Provider: oidcProvider, Mode: ModeAllow}, {Provider: "*", Mode: ModeRequire}}
	}
	return r
}

// callerContext adds to ctx the keys IAM sets from the caller itself: aws:PrincipalArn (a role
// session's is its role's ARN), aws:PrincipalAccount, aws:PrincipalType and, for IAM users,
// aws:username.
func callerContext(caller string, ctx map[string][]string) map[string][]string {
	p := parseCaller(caller)
	if p.kind != "AWS" {
		return ctx
	}
	c := make(map[string][]string, len(ctx)+4)
	for k, v := range ctx {
		c[k] = v
	}
	c["aws:PrincipalArn"] = []string{p.value}
	c["aws:PrincipalAccount"] = []string{p.account()}
	switch p.class {
	case classUser:
		e, _ := entityOf(p)
		c["aws:PrincipalType"] = []string{"User"}
		c["aws:username"] = []string{e.name}
	case classRole:
		c["aws:PrincipalType"] = []string{"AssumedRole"}
	}
	return c
}

// contexts is the grid of request contexts without a source identity.
func contexts() []map[string][]string {
	var out []map[string][]string
	for _, org := range []string{"", "o-1", "o-2"} {
		for _, ext := range []string{"", "ext"} {
			for _, mfa := range []string{"", "true"} {
				c := map[string][]string{}
				if org != "" {
					c["aws:PrincipalOrgID"] = []string{org}
				}
				if ext != "" {
					c["sts:ExternalId"] = []string{ext}
				}
				if mfa != "" {
					c["aws:MultiFactorAuthPresent"] = []string{mfa}
				}
				out = append(out, c)
			}
		}
	}
	return out
}

// withSI returns ctx plus a source identity (and, for a chained call, aws:SourceIdentity).
func withSI(ctx map[string][]string, v string, chained bool) map[string][]string {
	c := make(map[string][]string, len(ctx)+2)
	for k, vs := range ctx {
		c[k] = vs
	}
	c["sts:SourceIdentity"] = []string{v}
	if chained {
		c["aws:SourceIdentity"] = []string{v}
	}
	return c
}

func siValues(d *Document, r Rules) []string {
	vals := []string{"aa", "alice", "ALICE", "bob1", "alice@example.com", "bob@example.com", "bob"}
	for _, c := range d.candidates(r.patterns(), nil) {
		// Only values STS accepts: a lockout is not avoided by an SI no caller can send.
		if validSourceIdentity(c) && !slices.Contains(vals, c) {
			vals = append(vals, c)
		}
	}
	return vals
}

func allowed(d *Document, caller, action string, ctx map[string][]string) bool {
	return Evaluate(d, Request{Principal: caller, Action: action, Context: ctx}).Allowed()
}

// canAssumeWithSI: the SI-carrying request needs the assume action and sts:SetSourceIdentity.
func canAssumeWithSI(d *Document, caller, action string, ctx map[string][]string, v string, chained bool) bool {
	c := withSI(ctx, v, chained)
	return allowed(d, caller, action, c) && allowed(d, caller, actSetSourceIdentity, c)
}

func TestFixProperties(t *testing.T) {
	// Coverage of the generator: the properties below say nothing unless many generated
	// policies are actually fixed and callers that could assume without a source identity are
	// checked after the fix.
	var runs, fixedRuns, lockoutChecks, requireChecks int
	defer func() {
		if t.Failed() || runs == 0 {
			return
		}
		t.Logf("generated %d policies: %d fixed, %d checked for lockout after Fix, %d of them in require mode", runs, fixedRuns, lockoutChecks, requireChecks)
		// Measured shares (1,000 policies): about 30% fixed, 33% checked, 15% in require mode.
		// The floors are far enough below to make a false alarm improbable (< 1e-4).
		if fixedRuns*10 < runs || lockoutChecks*10 < runs || requireChecks*100 < 3*runs {
			t.Errorf("the generator is too weak: of %d policies %d were fixed (want >= 10%%), %d checked for lockout (want >= 10%%), %d of them in require mode (want >= 3%%)", runs, fixedRuns, lockoutChecks, requireChecks)
		}
	}()
	rapid.Check(t, func(t *rapid.T) {
		st := fixProperties(t, genPolicy(t), genRules(t))
		runs++
		if st.fixed {
			fixedRuns++
		}
		if st.lockout {
			lockoutChecks++
		}
		if st.require {
			requireChecks++
		}
	})
}

// propStats says which properties one generated policy exercised.
type propStats struct{ fixed, lockout, require bool }

// fixProperties checks, for one policy and rules, everything Fix and Explain promise, by
// comparing what Evaluate allows before and after Fix for every caller, action and context.
func fixProperties(t *rapid.T, text string, r Rules) (st propStats) {
	d, err := Parse([]byte(text))
	if err != nil {
		t.Fatalf("generated policy does not parse: %v\n%s", err, text)
	}
	fixed, fs := Fix(d, r)
	unfixed := false
	for _, f := range fs {
		if f.Code.NeedsPerson() {
			unfixed = true
		}
	}
	checkInvariants(t, d, r)
	st.fixed = fixed != d && !unfixed
	ctxs := contexts()
	checkExplainSound(t, d, r, ctxs)
	checkExplainSound(t, fixed, r, ctxs)
	vals := siValues(d, r)
	for _, caller := range callers {
		cp := parseCaller(caller)
		mode := r.modeFor(cp)
		assume := cp.class.assumeAction()
		ctxs := callerContexts(caller, ctxs)
		couldAssume := false
		for _, ctx := range ctxs {
			for _, a := range []string{actAssumeRole, actAssumeRoleWithSAML, actAssumeRoleWithWebIdentity} {
				// "Could already assume": some Allow statement grants the assume action
				// (a Deny may still refuse it; sts:SetSourceIdentity alone grants nothing).
				if len(Evaluate(d, Request{Principal: caller, Action: a, Context: ctx}).Allow) > 0 {
					couldAssume = true
				}
				for _, v := range vals {
					for _, chained := range []bool{false, true} {
						if len(Evaluate(d, Request{Principal: caller, Action: a, Context: withSI(ctx, v, chained)}).Allow) > 0 {
							couldAssume = true
						}
					}
				}
			}
		}
		for _, ctx := range ctxs {
			for _, v := range append([]string{""}, vals...) {
				for _, chained := range []bool{false, true} {
					if v == "" && chained {
						continue
					}
					c := ctx
					if v != "" {
						c = withSI(ctx, v, chained)
					}
					for _, a := range evalActions {
						before, after := allowed(d, caller, a, c), allowed(fixed, caller, a, c)
						// (3) Service and un-opted Federated callers see identical results.
						if mode == ModeIgnore && before != after {
							t.Fatalf("%s (mode ignore) %s in %v: before %v, after %v\nbefore %s\nafter  %s", caller, a, c, before, after, d, fixed)
						}
						// (1) Nothing new is allowed except sts:SetSourceIdentity for callers
						// that could already assume.
						if after && !before && !(a == actSetSourceIdentity && couldAssume) {
							t.Fatalf("Fix widened access: %s %s in %v\nbefore %s\nafter  %s", caller, a, c, d, fixed)
						}
					}
				}
			}
			if mode == ModeIgnore || unfixed {
				continue
			}
			// (2) A caller that could assume without a source identity can still assume
			// with one that matches the patterns.
			if allowed(d, caller, assume, ctx) {
				st.lockout = true
				st.require = st.require || mode == ModeRequire
				ok := false
				for _, v := range vals {
					if matchesAny(r.patterns(), v) && canAssumeWithSI(fixed, caller, assume, ctx, v, false) {
						ok = true
						break
					}
				}
				if !ok {
					t.Fatalf("%s could assume in %v before Fix but cannot with any source identity after\nbefore %s\nafter  %s\nfindings %v", caller, ctx, d, fixed, fs)
				}
			}
			// (4) In require mode nobody assumes without a source identity after Fix.
			if mode == ModeRequire && allowed(fixed, caller, assume, ctx) {
				t.Fatalf("%s can still assume without a source identity in %v after Fix\nafter %s\nfindings %v", caller, ctx, fixed, fs)
			}
		}
	}
	checkExplainAgrees(t, d, r)
	checkExplainAgrees(t, fixed, r)
	return st
}

func callerContexts(caller string, ctxs []map[string][]string) []map[string][]string {
	out := make([]map[string][]string, len(ctxs))
	for i, c := range ctxs {
		out[i] = callerContext(caller, c)
	}
	return out
}

// checkExplainSound: whenever Evaluate lets a caller assume without a source identity, Explain
// lists an exposure for that action on one of the Allow statements that matched.
func checkExplainSound(t *rapid.T, d *Document, r Rules, ctxs []map[string][]string) {
	exps := Explain(d, r)
	for _, caller := range callers {
		a := parseCaller(caller).class.assumeAction()
		for _, ctx := range callerContexts(caller, ctxs) {
			res := Evaluate(d, Request{Principal: caller, Action: a, Context: ctx})
			if !res.Allowed() {
				continue
			}
			found := false
			for _, e := range exps {
				if slices.Contains(res.Allow, e.Statement) && slices.Contains(e.Actions, a) {
					found = true
				}
			}
			if !found {
				t.Fatalf("%s can %s without a source identity in %v (statements %v) but Explain does not say so: %+v\npolicy %s", caller, a, ctx, res.Allow, exps, d)
			}
		}
	}
}

// checkExplainAgrees: in require mode, Explain and Check agree on who gets in without a source
// identity. A principal the rules require one from is listed by Explain exactly when Check
// reports it as open: missing-source-identity-condition, or a conflict that leaves it as it is
// (deny-conflict, condition-conflict); a bare "*" is listed exactly when wildcard-principal
// says anyone gets in (the other wildcard-principal finding is a "*" without
// sts:SetSourceIdentity, which lets nobody in). Check never says a listed principal is refused
// (unrecognised-source-identity-condition) and never says an unlisted one gets in.
func checkExplainAgrees(t *rapid.T, d *Document, r Rules) {
	if r.mode() != ModeRequire {
		return
	}
	type key struct {
		stmt      int
		principal string
	}
	listed := map[key]bool{}
	for _, e := range Explain(d, r) {
		if e.Mode == ModeRequire || e.Principal == "*" {
			listed[key{e.Statement, e.Principal}] = true
		}
	}
	open := map[key]Code{}
	for _, f := range Check(d, r) {
		for _, p := range f.Principals {
			k := key{f.Statement, p}
			switch f.Code {
			case CodeMissingCondition:
				if !listed[k] {
					t.Fatalf("Check says %s gets in without a source identity (statement %d) but Explain does not list it\npolicy %s", p, f.Statement, d)
				}
				open[k] = f.Code
			case CodeUnrecognisedCondition:
				if listed[k] {
					t.Fatalf("Check says statement %d refuses %s without a source identity but Explain lists it\npolicy %s", f.Statement, p, d)
				}
			case CodeDenyConflict, CodeConditionConflict:
				open[k] = f.Code
			case CodeWildcardPrincipal:
				if strings.Contains(f.Message, "without a source identity") != listed[k] {
					t.Fatalf("wildcard-principal %q disagrees with Explain (listed %v)\npolicy %s", f.Message, listed[k], d)
				}
				open[k] = f.Code
			}
		}
	}
	for k := range listed {
		if _, ok := open[k]; !ok {
			t.Fatalf("Explain lists %s (statement %d) as getting in without a source identity but Check reports nothing of the kind: %+v\npolicy %s", k.principal, k.stmt, Check(d, r), d)
		}
	}
}

// Principals in several spellings of the same IAM entities, as Allow and Deny statements name
// them (issue 7: names are unique ignoring case).
var denyGenPrincipals = []string{
	`{"AWS":"arn:aws:iam::111122223333:role/a"}`,
	`{"AWS":"arn:aws:iam::111122223333:role/A"}`,
	`{"AWS":"arn:aws:sts::111122223333:assumed-role/A/s"}`,
	`{"AWS":"arn:aws:iam::111122223333:user/bob"}`,
	`{"AWS":"arn:aws:iam::111122223333:user/BOB"}`,
	`{"AWS":"111122223333"}`,
	`{"AWS":"arn:aws:iam::111122223333:root"}`,
	`{"AWS":"arn:aws:iam::444455556666:role/b"}`,
}

// Deny conditions on keys the principal fixes, on the source identity, and the Allow's own.
var denyGenConditions = []struct{ op, key, val string }{
	{"Null", "sts:SourceIdentity", `"true"`},
	{"Null", "sts:SourceIdentity", `"false"`},
	{"StringNotEquals", "sts:SourceIdentity", `"${aws:username}"`},
	{"StringLike", "sts:SourceIdentity", `"a*"`},
	{"ArnLike", "aws:PrincipalArn", `"arn:aws:iam::*:role/b*"`},
	{"ArnLike", "aws:PrincipalArn", `"arn:aws:iam::111122223333:role/a"`},
	{"ArnNotLike", "aws:PrincipalArn", `"arn:aws:iam::111122223333:role/a"`},
	{"ArnEquals", "aws:PrincipalArn", `"arn:aws:iam::111122223333:user/BOB"`},
	{"StringEquals", "aws:PrincipalAccount", `"111122223333"`},
	{"StringEquals", "aws:PrincipalAccount", `"444455556666"`},
	{"StringEquals", "aws:username", `"bob"`},
	{"StringEquals", "aws:PrincipalType", `"User"`},
	{"StringEquals", "aws:PrincipalOrgID", `"o-1"`},
}

func condJSON(conds []struct{ op, key, val string }) string {
	byOp := map[string][]string{}
	var ops []string
	for _, c := range conds {
		if byOp[c.op] == nil {
			ops = append(ops, c.op)
		}
		byOp[c.op] = append(byOp[c.op], fmt.Sprintf("%q:%s", c.key, c.val))
	}
	var parts []string
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf("%q:{%s}", op, strings.Join(byOp[op], ",")))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// genDenyPolicy draws one Allow and one or two Deny statements that name the same entities in
// different spellings and condition on keys the principal fixes.
func genDenyPolicy(t *rapid.T) string {
	allowP := rapid.SampledFrom(denyGenPrincipals[:7]).Draw(t, "allowPrincipal")
	allowA := rapid.SampledFrom([]string{`"sts:AssumeRole"`, `["sts:AssumeRole","sts:SetSourceIdentity"]`, `"sts:*"`}).Draw(t, "allowAction")
	allow := `{"Effect":"Allow","Principal":` + allowP + `,"Action":` + allowA
	var allowConds []struct{ op, key, val string }
	switch rapid.IntRange(0, 3).Draw(t, "allowCondition") {
	case 1:
		allowConds = append(allowConds, struct{ op, key, val string }{"StringEquals", "aws:PrincipalOrgID", `"o-1"`})
	case 2:
		allowConds = append(allowConds, struct{ op, key, val string }{"StringLike", "sts:SourceIdentity", `"*"`})
	case 3:
		allowConds = append(allowConds, struct{ op, key, val string }{"StringEquals", "sts:SourceIdentity", `"${aws:username}"`})
	}
	if len(allowConds) > 0 {
		allow += `,"Condition":` + condJSON(allowConds)
	}
	stmts := []string{allow + "}"}
	for k := range rapid.IntRange(1, 2).Draw(t, "denies") {
		p := rapid.SampledFrom(append([]string{`"*"`, `{"AWS":"*"}`}, denyGenPrincipals...)).Draw(t, fmt.Sprintf("denyPrincipal%d", k))
		a := rapid.SampledFrom([]string{`"sts:SetSourceIdentity"`, `"sts:AssumeRole"`, `"sts:*"`}).Draw(t, fmt.Sprintf("denyAction%d", k))
		deny := `{"Effect":"Deny","Principal":` + p + `,"Action":` + a
		idx := rapid.SliceOfNDistinct(rapid.IntRange(0, len(denyGenConditions)-1), 0, 2, rapid.ID[int]).Draw(t, fmt.Sprintf("denyConditions%d", k))
		var conds []struct{ op, key, val string }
		seen := map[string]bool{}
		for _, i := range idx {
			c := denyGenConditions[i]
			if seen[c.op+c.key] {
				continue
			}
			seen[c.op+c.key] = true
			conds = append(conds, c)
		}
		if len(conds) > 0 {
			deny += `,"Condition":` + condJSON(conds)
		}
		stmts = append(stmts, deny+"}")
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// TestDenyProperties runs the Fix properties on Allow/Deny pairs that name the same principals
// in other spellings and condition on keys the principal fixes (aws:PrincipalArn,
// aws:PrincipalAccount, aws:username, aws:PrincipalType): no lockout, nothing widened, Check
// and Explain agree.
func TestDenyProperties(t *testing.T) {
	var runs, fixedRuns, lockoutChecks int
	defer func() {
		if t.Failed() || runs == 0 {
			return
		}
		t.Logf("generated %d policies: %d fixed, %d checked for lockout after Fix", runs, fixedRuns, lockoutChecks)
		if fixedRuns*10 < runs || lockoutChecks*10 < runs {
			t.Errorf("the generator is too weak: of %d policies %d were fixed, %d checked for lockout (want >= 10%% each)", runs, fixedRuns, lockoutChecks)
		}
	}()
	rapid.Check(t, func(t *rapid.T) {
		r := Rules{Mode: rapid.SampledFrom([]Mode{ModeRequire, ModeRequire, ModeAllow}).Draw(t, "mode")}
		text := genDenyPolicy(t)
		st := fixProperties(t, text, r)
		checkConflictsReal(t, mustParseRapid(t, text), r)
		runs++
		if st.fixed {
			fixedRuns++
		}
		if st.lockout {
			lockoutChecks++
		}
	})
}

func mustParseRapid(t *rapid.T, text string) *Document {
	d, err := Parse([]byte(text))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	return d
}

// checkConflictsReal: a deny-conflict reported for a caller that is exactly a role or user the
// callers list holds is real: in some context, with every source identity the rules would
// accept, a Deny refuses the request that carries it (the assume action or
// sts:SetSourceIdentity). A Deny that cannot apply to
// the principal, or that only restricts the value, is not reported (issue 7).
//
// The engine evaluates a Deny's conditions one at a time: with two conditions on
// aws:PrincipalArn that contradict each other for some spelling of the name it stays
// conservative, so such policies are skipped here.
func checkConflictsReal(t *rapid.T, d *Document, r Rules) {
	for i := range d.stmts {
		n := 0
		for _, c := range d.stmts[i].conds {
			if strings.EqualFold(c.key, "aws:PrincipalArn") {
				n++
			}
		}
		if n > 1 {
			return
		}
	}
	for _, f := range Check(d, r) {
		if f.Code != CodeDenyConflict {
			continue
		}
		for _, name := range f.Principals {
			if !slices.Contains(callers, name) {
				continue
			}
			p := parseCaller(name)
			real := false
			// The engine knows a principal's ARN up to letter case only: try the name in upper
			// and lower case, every spelling of it that the policy uses, and the sessions of it
			// that the policy names.
			spellings := []string{name}
			if e, ok := entityOf(p); ok {
				i := strings.LastIndex(name, e.name)
				for _, v := range []string{strings.ToUpper(e.name), strings.ToLower(e.name)} {
					if sp := name[:i] + v + name[i+len(e.name):]; !slices.Contains(spellings, sp) {
						spellings = append(spellings, sp)
					}
				}
			}
			for i := range d.stmts {
				for _, q := range d.stmts[i].principals {
					// A Deny naming one session of a role concerns that session of it.
					if (sameEntity(q, p) || q.class == classSession && overlaps(q, p)) && !slices.Contains(spellings, q.String()) {
						spellings = append(spellings, q.String())
					}
				}
				for _, c := range d.stmts[i].conds {
					for _, v := range c.values {
						if q := parseCaller(v); sameEntity(q, p) && !slices.Contains(spellings, q.String()) {
							spellings = append(spellings, q.String())
						}
					}
				}
			}
			for _, sp := range spellings {
				for _, ctx := range callerContexts(sp, contexts()) {
					blocked := true
					for _, v := range siValues(d, r) {
						if !matchesAny(r.patterns(), v) {
							continue
						}
						c := withSI(ctx, v, false)
						if len(Evaluate(d, Request{Principal: sp, Action: actSetSourceIdentity, Context: c}).Deny) == 0 &&
							len(Evaluate(d, Request{Principal: sp, Action: p.class.assumeAction(), Context: c}).Deny) == 0 {
							blocked = false
							break
						}
					}
					if blocked {
						real = true
					}
				}
			}
			if !real {
				t.Fatalf("deny-conflict for %s, but in every context some source identity passes every Deny: %s\npolicy %s", name, f.Message, d)
			}
		}
	}
}
