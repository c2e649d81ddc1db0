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
	}
	callers = []string{
		"AWS:arn:aws:iam::111122223333:role/a",
		"AWS:arn:aws:iam::444455556666:role/b",
		"AWS:arn:aws:iam::777788889999:user/x",
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
	vals := []string{"aa", "alice", "ALICE", "bob1", "alice@example.com", "bob@example.com"}
	for _, c := range d.candidates(r.patterns()) {
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
		runs++
		lockoutSeen, requireSeen := false, false
		defer func() {
			if lockoutSeen {
				lockoutChecks++
			}
			if requireSeen {
				requireChecks++
			}
		}()
		text := genPolicy(t)
		r := genRules(t)
		d, err := Parse([]byte(text))
		if err != nil {
			t.Fatalf("generated policy does not parse: %v\n%s", err, text)
		}
		fixed, fs := Fix(d, r)
		unfixed := false
		for _, f := range fs {
			if !f.Code.Fixable() && f.Code != CodeUniqueIDPrincipal {
				unfixed = true
			}
		}
		checkInvariants(t, d, r)
		if fixed != d && !unfixed {
			fixedRuns++
		}
		ctxs := contexts()
		checkExplainSound(t, d, r, ctxs)
		checkExplainSound(t, fixed, r, ctxs)
		vals := siValues(d, r)
		for _, caller := range callers {
			cp := parseCaller(caller)
			mode := r.modeFor(cp)
			assume := cp.class.assumeAction()
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
					lockoutSeen = true
					requireSeen = requireSeen || mode == ModeRequire
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
	})
}

// checkExplainSound: whenever Evaluate lets a caller assume without a source identity, Explain
// lists an exposure for that action on one of the Allow statements that matched.
func checkExplainSound(t *rapid.T, d *Document, r Rules, ctxs []map[string][]string) {
	exps := Explain(d, r)
	for _, caller := range callers {
		a := parseCaller(caller).class.assumeAction()
		for _, ctx := range ctxs {
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
