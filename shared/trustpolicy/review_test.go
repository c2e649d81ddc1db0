package trustpolicy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Edge cases found in an adversarial review of the engine. Each case pins the codes Fix reports
// and the exact fixed policy ("" when Fix must leave the policy as is).

const roleA = `"arn:aws:iam::111122223333:role/a"`

// stmtA builds a one-statement policy for role a with the given Action member and Condition
// (empty: none).
func stmtA(action, cond string) string {
	s := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + roleA + `},` + action
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + `}]}`
}

type reviewCase struct {
	name  string
	rules Rules
	in    string
	codes []Code // codes of Fix's findings, in order
	out   string // the fixed policy; "" when Fix must return its input
}

func runReviewCases(t *testing.T, cases []reviewCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			fixed, fs := Fix(d, tc.rules)
			var codes []Code
			for _, f := range fs {
				codes = append(codes, f.Code)
			}
			if diff := cmp.Diff(tc.codes, codes); diff != "" {
				t.Errorf("codes (-want +got):\n%s\nfindings: %+v", diff, fs)
			}
			switch {
			case tc.out == "" && fixed != d:
				t.Errorf("Fix changed the policy, want it left as is:\n%s", fixed)
			case tc.out != "":
				if diff := cmp.Diff(tc.out, fixed.String()); diff != "" {
					t.Errorf("fixed policy (-want +got):\n%s", diff)
				}
			}
			checkInvariants(t, d, tc.rules)
		})
	}
}

func TestReviewPolicyVariables(t *testing.T) {
	const userBob = `"arn:aws:iam::111122223333:user/bob"`
	runReviewCases(t, []reviewCase{{
		// Spec 2.8: StringEquals "${aws:username}" enforces (IAM user: SI must equal the user
		// name). It is not a condition-conflict: bob passes with source identity "bob".
		name:  "username variable enforces",
		in:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + userBob + `},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:SourceIdentity":"${aws:username}"}}}]}`,
		codes: []Code{CodeMissingSetSourceIdentity},
		out:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + userBob + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"sts:SourceIdentity":"${aws:username}"}}}]}`,
	}, {
		name:  "username variable under StringLike enforces",
		in:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + userBob + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username}"}}}]}`,
		codes: nil,
	}, {
		// With Version 2008-10-17 "${aws:username}" is a literal, which no source identity
		// can equal ($, { and } are outside its alphabet): a real condition-conflict.
		name:  "variable is literal under 2008-10-17",
		in:    `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + userBob + `},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:SourceIdentity":"${aws:username}"}}}]}`,
		codes: []Code{CodeConditionConflict},
	}, {
		// No Version: variables are literal too (spec 2.1).
		name:  "variable is literal without Version",
		in:    `{"Statement":[{"Effect":"Allow","Principal":{"AWS":` + userBob + `},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:SourceIdentity":"${aws:username}"}}}]}`,
		codes: []Code{CodeConditionConflict},
	}, {
		// A Deny that refuses SIs other than the user name, for the user it names: bob fixes
		// aws:username, so source identity "bob" passes the Deny and the patch is safe (issue
		// 7: the Deny only restricts the value). It used to be reported as a deny-conflict.
		name:  "deny on source identity other than username, for that user, only restricts the value",
		in:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + userBob + `},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":` + userBob + `},"Action":"sts:SetSourceIdentity","Condition":{"StringNotEquals":{"sts:SourceIdentity":"${aws:username}"}}}]}`,
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + userBob + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}},{"Effect":"Deny","Principal":{"AWS":` + userBob + `},"Action":"sts:SetSourceIdentity","Condition":{"StringNotEquals":{"sts:SourceIdentity":"${aws:username}"}}}]}`,
	}, {
		// The same Deny for a role: a role session has no aws:username, so StringNotEquals
		// against the unresolved variable matches every value: every SI is refused.
		name:  "deny on source identity other than username, for a role, refuses every value",
		in:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":` + roleA + `},"Action":"sts:SetSourceIdentity","Condition":{"StringNotEquals":{"sts:SourceIdentity":"${aws:username}"}}}]}`,
		codes: []Code{CodeDenyConflict},
	}, {
		// Named through the account, the Deny may concern a user whose name the engine
		// does not know: still conservative.
		name:  "deny on source identity other than username, for the account, is reported",
		in:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sts:SetSourceIdentity","Condition":{"StringNotEquals":{"sts:SourceIdentity":"${aws:username}"}}}]}`,
		codes: []Code{CodeDenyConflict},
	}})
}

func TestReviewConflictWitnesses(t *testing.T) {
	runReviewCases(t, []reviewCase{{
		// "bb" passes both conditions: not a condition-conflict (the only witness of "*" used
		// to be "aa", which StringNotLike "a*" refuses).
		name:  "StringNotLike a* beside StringLike *",
		in:    stmtA(`"Action":"sts:AssumeRole"`, `{"StringLike":{"sts:SourceIdentity":"*"},"StringNotLike":{"sts:SourceIdentity":"a*"}}`),
		codes: []Code{CodeMissingSetSourceIdentity},
		out:   stmtA(`"Action":["sts:AssumeRole","sts:SetSourceIdentity"]`, `{"StringLike":{"sts:SourceIdentity":"*"},"StringNotLike":{"sts:SourceIdentity":"a*"}}`),
	}, {
		name:  "StringNotLike * beside StringLike * refuses everything",
		in:    stmtA(`"Action":"sts:AssumeRole"`, `{"StringLike":{"sts:SourceIdentity":"*"},"StringNotLike":{"sts:SourceIdentity":"*"}}`),
		codes: []Code{CodeConditionConflict},
	}, {
		// A Deny of sts:SetSourceIdentity for SIs starting with "a" leaves "zz" usable.
		name: "deny of some values leaves others",
		in: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:AssumeRole"},` +
			`{"Effect":"Deny","Principal":"*","Action":"sts:SetSourceIdentity","Condition":{"StringLike":{"sts:SourceIdentity":"a*"}}}]}`,
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}},` +
			`{"Effect":"Deny","Principal":"*","Action":"sts:SetSourceIdentity","Condition":{"StringLike":{"sts:SourceIdentity":"a*"}}}]}`,
	}})
}

func TestReviewDenyEnforcesSourceIdentity(t *testing.T) {
	deny := func(principal, action, cond string) string {
		return `{"Effect":"Deny","Principal":` + principal + `,"Action":` + action + `,"Condition":` + cond + `}`
	}
	policy := func(allow, deny string) string {
		return `{"Version":"2012-10-17","Statement":[` + allow + `,` + deny + `]}`
	}
	allowA := `{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:AssumeRole"}`
	fixedA := `{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}`
	fixedACond := `{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}`
	nullTrue := `{"Null":{"sts:SourceIdentity":"true"}}`
	runReviewCases(t, []reviewCase{{
		// Deny sts:AssumeRole to everyone when no SI is set: the role already requires an SI
		// (Explain lists no exposure). Only sts:SetSourceIdentity is missing.
		name:  "deny star when null",
		in:    policy(allowA, deny(`"*"`, `"sts:AssumeRole"`, nullTrue)),
		codes: []Code{CodeMissingSetSourceIdentity},
		out:   policy(fixedA, deny(`"*"`, `"sts:AssumeRole"`, nullTrue)),
	}, {
		name:  "deny AWS star sts:* when null",
		in:    policy(allowA, deny(`{"AWS":"*"}`, `"sts:*"`, nullTrue)),
		codes: []Code{CodeMissingSetSourceIdentity},
		out:   policy(fixedA, deny(`{"AWS":"*"}`, `"sts:*"`, nullTrue)),
	}, {
		// A Deny naming the account applies to every principal of it.
		name:  "deny account when null",
		in:    policy(allowA, deny(`{"AWS":"111122223333"}`, `"sts:AssumeRole"`, nullTrue)),
		codes: []Code{CodeMissingSetSourceIdentity},
		out:   policy(fixedA, deny(`{"AWS":"111122223333"}`, `"sts:AssumeRole"`, nullTrue)),
	}, {
		name: "deny and allow both compliant",
		in:   policy(`{"Effect":"Allow","Principal":{"AWS":`+roleA+`},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}`, deny(`"*"`, `"sts:AssumeRole"`, nullTrue)),
	}, {
		// An extra condition on another key (an org fence) means the Deny may not apply:
		// the Allow statement still needs its own condition.
		name:  "deny with another condition does not enforce",
		in:    policy(allowA, deny(`"*"`, `"sts:AssumeRole"`, `{"Null":{"sts:SourceIdentity":"true"},"StringEquals":{"aws:PrincipalOrgID":"o-1"}}`)),
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out:   policy(fixedACond, deny(`"*"`, `"sts:AssumeRole"`, `{"Null":{"sts:SourceIdentity":"true"},"StringEquals":{"aws:PrincipalOrgID":"o-1"}}`)),
	}, {
		name:  "deny of another principal does not enforce",
		in:    policy(allowA, deny(`{"AWS":"arn:aws:iam::111122223333:role/b"}`, `"sts:AssumeRole"`, nullTrue)),
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out:   policy(fixedACond, deny(`{"AWS":"arn:aws:iam::111122223333:role/b"}`, `"sts:AssumeRole"`, nullTrue)),
	}, {
		name:  "deny of another action does not enforce",
		in:    policy(allowA, deny(`"*"`, `"sts:AssumeRoleWithSAML"`, nullTrue)),
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out:   policy(fixedACond, deny(`"*"`, `"sts:AssumeRoleWithSAML"`, nullTrue)),
	}, {
		// arn:aws-cn:…:111122223333 is not the account role a (aws partition) belongs to.
		name:  "deny naming the account id in another partition does not enforce",
		in:    policy(allowA, deny(`{"AWS":"arn:aws-cn:iam::111122223333:root"}`, `"sts:AssumeRole"`, nullTrue)),
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out:   policy(fixedACond, deny(`{"AWS":"arn:aws-cn:iam::111122223333:root"}`, `"sts:AssumeRole"`, nullTrue)),
	}, {
		// Null "false" in a Deny refuses every SI-carrying request: a deny-conflict.
		name:  "deny when not null conflicts",
		in:    policy(allowA, deny(`"*"`, `"sts:AssumeRole"`, `{"Null":{"sts:SourceIdentity":"false"}}`)),
		codes: []Code{CodeDenyConflict},
	}})
}

func TestReviewSetSourceIdentityElsewhere(t *testing.T) {
	allowA := `{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}`
	fixedA := `{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}`
	ssi := func(principal string) string {
		return `{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:SetSourceIdentity"}`
	}
	policy := func(a, b string) string { return `{"Version":"2012-10-17","Statement":[` + a + `,` + b + `]}` }
	runReviewCases(t, []reviewCase{{
		name: "same principal",
		in:   policy(allowA, ssi(`{"AWS":`+roleA+`}`)),
	}, {
		name: "any AWS principal",
		in:   policy(allowA, ssi(`{"AWS":"*"}`)),
	}, {
		name: "bare star",
		in:   policy(allowA, ssi(`"*"`)),
	}, {
		// The account principal only delegates to role a's identity policies, which need not
		// allow sts:SetSourceIdentity: grant it in role a's own statement.
		name:  "account principal is not enough for a role",
		in:    policy(allowA, ssi(`{"AWS":"arn:aws:iam::111122223333:root"}`)),
		codes: []Code{CodeMissingSetSourceIdentity},
		out:   policy(fixedA, ssi(`{"AWS":"arn:aws:iam::111122223333:root"}`)),
	}, {
		name: "account principal covers the same account in another spelling",
		in: policy(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}`,
			ssi(`{"AWS":"arn:aws:iam::111122223333:root"}`)),
	}, {
		name:  "another role is not enough",
		in:    policy(allowA, ssi(`{"AWS":"arn:aws:iam::111122223333:role/b"}`)),
		codes: []Code{CodeMissingSetSourceIdentity},
		out:   policy(fixedA, ssi(`{"AWS":"arn:aws:iam::111122223333:role/b"}`)),
	}, {
		// The grant holds under a condition statement 0 does not have: not enough.
		name:  "grant under an extra condition is not enough",
		in:    policy(allowA, `{"Effect":"Allow","Principal":{"AWS":`+roleA+`},"Action":"sts:SetSourceIdentity","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}`),
		codes: []Code{CodeMissingSetSourceIdentity},
		out:   policy(fixedA, `{"Effect":"Allow","Principal":{"AWS":`+roleA+`},"Action":"sts:SetSourceIdentity","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}`),
	}})
}

// TestReviewFixDeterministic: Fix gives byte-identical output and findings on every run (no map
// iteration order or shared state leaks into it).
func TestReviewFixDeterministic(t *testing.T) {
	for _, base := range goldenCases(t) {
		in, r := loadCase(t, base)
		d, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		first, firstFs := Fix(d, r)
		want := first.String()
		for range 20 {
			again, fs := Fix(d, r)
			if got := again.String(); got != want {
				t.Fatalf("%s: Fix is not deterministic:\n%s\n%s", base, want, got)
			}
			if diff := cmp.Diff(firstFs, fs); diff != "" {
				t.Fatalf("%s: findings differ between runs:\n%s", base, diff)
			}
		}
	}
}

// TestReviewSizeAtQuota: a fixed policy of exactly SizeLimit characters is written; one more
// character makes it too-large (and the input is returned). Escapes count as written (`\"` is
// two characters, `\u0041` six): IAM receives and counts the text, not the decoded value.
func TestReviewSizeAtQuota(t *testing.T) {
	policy := func(pad string) string {
		return stmtA(`"Action":"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"`+pad+`"}}`)
	}
	grow := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'x'
		}
		return string(b)
	}
	d0 := mustParse(t, policy(""))
	f0, _ := Fix(d0, Rules{})
	added := f0.Size() - d0.Size()
	// Pad so that the fixed policy is exactly DefaultSizeLimit characters.
	pad := grow(DefaultSizeLimit - added - d0.Size())
	for _, tc := range []struct {
		name    string
		pad     string
		tooBig  bool
		escapes bool
	}{
		{"fixed policy exactly at the quota", pad, false, false},
		{"one character over", pad + "x", true, false},
		{"escaped quote counts two", pad[2:] + `\"`, false, true},
		{"escaped quote over the quota", pad[1:] + `\"`, true, true},
		{"unicode escape counts six", pad[6:] + `\u0041`, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, policy(tc.pad))
			fixed, fs := Fix(d, Rules{})
			tooLarge := false
			for _, f := range fs {
				tooLarge = tooLarge || f.Code == CodeTooLarge
			}
			if tooLarge != tc.tooBig {
				t.Fatalf("too-large = %v, want %v (input %d characters, %d added by the fix)", tooLarge, tc.tooBig, d.Size(), added)
			}
			if !tc.tooBig && fixed.Size() != DefaultSizeLimit {
				t.Errorf("fixed size %d, want %d", fixed.Size(), DefaultSizeLimit)
			}
			if tc.tooBig && fixed != d {
				t.Errorf("too-large but the policy changed")
			}
			checkInvariants(t, d, Rules{})
		})
	}
	// A compliant policy at (or over) the quota is left alone: IAM holds it already.
	atQuota := stmtA(`"Action":["sts:AssumeRole","sts:SetSourceIdentity"]`, `{"StringLike":{"sts:SourceIdentity":"*"},"StringEquals":{"sts:ExternalId":"`+pad+`"}}`)
	d := mustParse(t, atQuota)
	if fixed, fs := Fix(d, Rules{SizeLimit: d.Size() - 1}); fixed != d || len(fs) != 0 {
		t.Errorf("compliant policy over the quota: Fix changed it or reported %+v", fs)
	}
	// Whitespace outside strings is not counted; inside strings it is.
	spaced := mustParse(t, "{ \"Version\" : \"2012-10-17\",\n\t\"Statement\" : [ ] }")
	if got, want := spaced.Size(), len(`{"Version":"2012-10-17","Statement":[]}`); got != want {
		t.Errorf("whitespace outside strings: Size = %d, want %d", got, want)
	}
	inside := mustParse(t, policy("a b"))
	if got, want := inside.Size(), mustParse(t, policy("abc")).Size(); got != want {
		t.Errorf("whitespace inside a string: Size = %d, want %d (counted)", got, want)
	}
}

func mustParse(t *testing.T, s string) *Document {
	t.Helper()
	d, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, s)
	}
	return d
}

func TestReviewInvalidSourceIdentities(t *testing.T) {
	runReviewCases(t, []reviewCase{{
		// Today role a assumes without an SI (IfExists). The only SI the condition admits is
		// "a", which STS refuses (2 characters at least): requiring one would lock it out.
		name:  "IfExists on a value STS refuses",
		in:    stmtA(`"Action":"sts:AssumeRole"`, `{"StringLikeIfExists":{"sts:SourceIdentity":"a"}}`),
		codes: []Code{CodeConditionConflict},
	}, {
		name:  "IfExists on an aws: value",
		in:    stmtA(`"Action":"sts:AssumeRole"`, `{"StringEqualsIfExists":{"sts:SourceIdentity":["aws:x","a b"]}}`),
		codes: []Code{CodeConditionConflict},
	}, {
		name:  "IfExists on a valid value",
		in:    stmtA(`"Action":"sts:AssumeRole"`, `{"StringEqualsIfExists":{"sts:SourceIdentity":["a","alice"]}}`),
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out:   stmtA(`"Action":["sts:AssumeRole","sts:SetSourceIdentity"]`, `{"StringEqualsIfExists":{"sts:SourceIdentity":["a","alice"]},"StringLike":{"sts:SourceIdentity":"*"}}`),
	}})
}

// TestReviewVerdicts pins Check's verdict (codes only) on the review's probes that needed no
// code change.
func TestReviewVerdicts(t *testing.T) {
	const (
		ssi   = CodeMissingSetSourceIdentity
		cond  = CodeMissingCondition
		unrec = CodeUnrecognisedCondition // refuses callers without an SI, in a form not relied on
	)
	assume := `"Action":"sts:AssumeRole"`
	both := `"Action":["sts:AssumeRole","sts:SetSourceIdentity"]`
	two := func(a, b string) string { return `{"Version":"2012-10-17","Statement":[` + a + `,` + b + `]}` }
	allowA := `{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:AssumeRole"}`
	tests := []struct {
		name  string
		rules Rules
		in    string
		want  []Code
	}{
		// Action matching: case-insensitive, '*' and '?' wildcards, NotAction.
		{"action case", Rules{}, stmtA(`"Action":"STS:assumerole"`, ""), []Code{ssi, cond}},
		{"action sts:Assume*", Rules{}, stmtA(`"Action":"sts:Assume*"`, ""), []Code{ssi, cond}},
		{"action * covers SetSourceIdentity", Rules{}, stmtA(`"Action":"*"`, ""), []Code{cond}},
		{"action sts:* covers SetSourceIdentity", Rules{}, stmtA(`"Action":"sts:*"`, ""), []Code{cond}},
		{"action ? wildcard", Rules{}, stmtA(`"Action":"sts:Assume?ole"`, ""), []Code{ssi, cond}},
		{"action sts:Set* covers SetSourceIdentity", Rules{}, stmtA(`"Action":["sts:AssumeRole","sts:Set*"]`, `{"StringLike":{"sts:SourceIdentity":"*"}}`), nil},
		{"action sts:AssumeRole* for role", Rules{}, stmtA(`"Action":"sts:AssumeRole*"`, ""), []Code{ssi, cond}},
		{"NotAction excluding AssumeRole grants nothing to fix", Rules{}, stmtA(`"NotAction":"sts:AssumeRole"`, ""), nil},
		{"NotAction excluding SetSourceIdentity", Rules{}, stmtA(`"NotAction":["sts:SetSourceIdentity"]`, ""), []Code{ssi, cond}},
		{"NotAction sts:Set*", Rules{}, stmtA(`"NotAction":["sts:Set*"]`, ""), []Code{ssi, cond}},
		{"NotAction iam:* covers both", Rules{}, stmtA(`"NotAction":"iam:*"`, `{"StringLike":{"sts:SourceIdentity":"*"}}`), nil},
		// Condition forms on the key (spec 2.8).
		{"StringLike key case", Rules{}, stmtA(both, `{"StringLike":{"STS:sourceidentity":"x*"}}`), nil},
		{"StringEqualsIgnoreCase", Rules{}, stmtA(both, `{"StringEqualsIgnoreCase":{"sts:SourceIdentity":"ALICE"}}`), nil},
		{"Null JSON false", Rules{}, stmtA(both, `{"Null":{"sts:SourceIdentity":false}}`), nil},
		{"Null string false", Rules{}, stmtA(both, `{"Null":{"sts:SourceIdentity":"false"}}`), nil},
		{"Null array false", Rules{}, stmtA(both, `{"Null":{"sts:SourceIdentity":["false"]}}`), nil},
		{"Null false and true", Rules{}, stmtA(both, `{"Null":{"sts:SourceIdentity":["false","true"]}}`), []Code{cond}},
		{"Null true", Rules{}, stmtA(both, `{"Null":{"sts:SourceIdentity":"true"}}`), []Code{CodeConditionConflict}},
		{"IfExists", Rules{}, stmtA(both, `{"StringLikeIfExists":{"sts:SourceIdentity":"*"}}`), []Code{cond}},
		{"negated", Rules{}, stmtA(both, `{"StringNotLike":{"sts:SourceIdentity":"bad*"}}`), []Code{cond}},
		{"ForAnyValue", Rules{}, stmtA(both, `{"ForAnyValue:StringLike":{"sts:SourceIdentity":"*"}}`), []Code{unrec}},
		{"ForAllValues", Rules{}, stmtA(both, `{"ForAllValues:StringLike":{"sts:SourceIdentity":"*"}}`), []Code{cond}},
		{"ArnLike on the key", Rules{}, stmtA(both, `{"ArnLike":{"sts:SourceIdentity":"*"}}`), []Code{unrec}},
		{"NumericEquals on the key", Rules{}, stmtA(both, `{"NumericEquals":{"sts:SourceIdentity":"10"}}`), []Code{unrec}},
		{"aws:SourceIdentity", Rules{}, stmtA(both, `{"StringLike":{"aws:SourceIdentity":"*"}}`), []Code{unrec}},
		{"enforcing and IfExists together", Rules{}, stmtA(both, `{"StringLike":{"sts:SourceIdentity":"*"},"StringEqualsIfExists":{"sts:SourceIdentity":"alice"}}`), nil},
		{"enforcing and refusing together", Rules{}, stmtA(both, `{"StringLike":{"sts:SourceIdentity":"*"},"StringNotLike":{"sts:SourceIdentity":"*"}}`), []Code{CodeConditionConflict}},
		{"unknown operator on the key never enforces", Rules{}, stmtA(both, `{"StringLikeish":{"sts:SourceIdentity":"*"}}`), []Code{cond}},
		{"operator spelled through an escape", Rules{}, stmtA(both, `{"String\u004cike":{"sts:SourceIdentity":"*"}}`), nil},
		{"key spelled through an escape", Rules{}, stmtA(both, `{"StringLike":{"sts:Source\u0049dentity":"*"}}`), nil},
		{"allow mode ignores conditions", Rules{Mode: ModeAllow}, stmtA(assume, `{"StringLikeIfExists":{"sts:SourceIdentity":"*"}}`), []Code{ssi}},
		// Deny statements (spec 2.9).
		{"org fence", Rules{}, two(allowA, `{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}}`), []Code{ssi, cond}},
		{"deny SetSourceIdentity", Rules{}, two(allowA, `{"Effect":"Deny","Principal":"*","Action":"sts:SetSourceIdentity"}`), []Code{CodeDenyConflict}},
		{"deny NotAction AssumeRole", Rules{}, two(allowA, `{"Effect":"Deny","Principal":{"AWS":"111122223333"},"NotAction":"sts:AssumeRole"}`), []Code{CodeDenyConflict}},
		{"deny NotAction both", Rules{}, two(allowA, `{"Effect":"Deny","Principal":"*","NotAction":["sts:AssumeRole","sts:SetSourceIdentity"]}`), []Code{ssi, cond}},
		{"deny for another account", Rules{}, two(allowA, `{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:SetSourceIdentity"}`), []Code{ssi, cond}},
		{"deny for the account in another spelling", Rules{}, two(allowA, `{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sts:SetSourceIdentity"}`), []Code{CodeDenyConflict}},
		{"deny for a session of the role", Rules{}, two(allowA, `{"Effect":"Deny","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/a/s"},"Action":"sts:SetSourceIdentity"}`), []Code{CodeDenyConflict}},
		{"deny for a service", Rules{}, two(allowA, `{"Effect":"Deny","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:*"}`), []Code{ssi, cond}},
		// Principals (spec 2.4, 3).
		{"account id", Rules{}, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`, []Code{ssi, cond}},
		{"aws-cn root", Rules{}, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws-cn:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`, []Code{ssi, cond}},
		{"aws-us-gov role", Rules{}, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws-us-gov:iam::111122223333:role/x"},"Action":"sts:AssumeRole"}]}`, []Code{ssi, cond}},
		{"unique id", Rules{}, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"AROAEXAMPLEEXAMPLE12"},"Action":"sts:AssumeRole"}]}`, []Code{ssi, cond, CodeUniqueIDPrincipal}},
		{"AWS star", Rules{}, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`, []Code{ssi, cond, CodeAnyAWSAccount}},
		{"bare star", Rules{}, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, []Code{CodeWildcardPrincipal}},
		{"bare star compliant", Rules{}, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`, nil},
		{"canonical user", Rules{}, `{"Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"abc"},"Action":"sts:AssumeRole"}]}`, nil},
		{"service only", Rules{}, `{"Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`, nil},
		{"google ignored", Rules{}, `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, nil},
		{"google opted in", Rules{Federated: []FederatedRule{{Provider: "accounts.google.com", Mode: ModeRequire}}}, `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, []Code{ssi, cond}},
		{"cognito allow", Rules{Federated: []FederatedRule{{Provider: "cognito-identity.amazonaws.com", Mode: ModeAllow}}}, `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, []Code{ssi}},
		{"github opt-in does not match another provider", Rules{Federated: []FederatedRule{{Provider: "*:oidc-provider/token.actions.githubusercontent.com", Mode: ModeRequire}}}, `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, nil},
		{"SAML provider with only AssumeRole", Rules{Federated: []FederatedRule{{Provider: "*", Mode: ModeRequire}}}, `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/Okta"},"Action":"sts:AssumeRole"}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, tt.in)
			var got []Code
			for _, f := range Check(d, tt.rules) {
				got = append(got, f.Code)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check codes (-want +got):\n%s", diff)
			}
			checkInvariants(t, d, tt.rules)
		})
	}
}

// TestReviewParseRejects: what IAM refuses, Parse refuses, naming the element.
func TestReviewParseRejects(t *testing.T) {
	ok := `"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:AssumeRole"`
	for _, tc := range []struct{ name, in, where string }{
		{"version other", `{"Version":"2012-10-18","Statement":[{` + ok + `}]}`, "Version"},
		{"statement empty object", `{"Version":"2012-10-17","Statement":{}}`, "Statement.Effect"},
		{"sid underscore", `{"Statement":[{"Sid":"A_b",` + ok + `}]}`, "Statement[0].Sid"},
		{"sid duplicate", `{"Statement":[{"Sid":"A",` + ok + `},{"Sid":"A",` + ok + `}]}`, "Statement[1].Sid"},
		{"effect case", `{"Statement":[{"Effect":"allow","Principal":"*","Action":"sts:AssumeRole"}]}`, "Statement[0].Effect"},
		{"resource", `{"Statement":[{` + ok + `,"Resource":"*"}]}`, "Statement[0].Resource"},
		{"not resource", `{"Statement":[{` + ok + `,"NotResource":"*"}]}`, "Statement[0].NotResource"},
		{"not principal", `{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`, "Statement[0].NotPrincipal"},
		{"action and not action", `{"Statement":[{` + ok + `,"NotAction":"x:y"}]}`, "Statement[0].NotAction"},
		{"missing action", `{"Statement":[{"Effect":"Allow","Principal":"*"}]}`, "Statement[0].Action"},
		{"duplicate member", `{"Statement":[{` + ok + `,"Effect":"Allow"}]}`, "duplicate member"},
		{"duplicate condition key in case", `{"Statement":[{` + ok + `,"Condition":{"StringLike":{"a":"1","A":"2"}}}]}`, "Statement[0].Condition.StringLike.A"},
		{"duplicate operator through an escape", `{"Statement":[{` + ok + `,"Condition":{"StringLike":{"a":"1"},"String\u004cike":{"b":"1"}}}]}`, "duplicate member"},
		{"operator case", `{"Statement":[{` + ok + `,"Condition":{"stringLike":{"a":"1"}}}]}`, "Statement[0].Condition.stringLike"},
		{"principal key case", `{"Statement":[{"Effect":"Allow","Principal":{"aws":"111122223333"},"Action":"sts:AssumeRole"}]}`, "Statement[0].Principal.aws"},
		{"empty principal array", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}]}`, "Statement[0].Principal.AWS"},
		{"character outside Latin-1", `{"Statement":[{` + ok + `,"Condition":{"StringEquals":{"a":"€"}}}]}`, "U+20AC"},
		{"nested junk in a condition", `{"Statement":[{` + ok + `,"Condition":{"StringEquals":{"a":[[[1]]]}}}]}`, "Statement[0].Condition.StringEquals.a[0]"},
		{"null Id", `{"Id":null,"Statement":[{` + ok + `}]}`, "Id"},
		{"trailing garbage", `{"Statement":[{` + ok + `}]} x`, "after the top-level value"},
		{"second document", `{"Statement":[{` + ok + `}]}{}`, "after the top-level value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.where) {
				t.Errorf("Parse error = %v, want ErrMalformed naming %q", err, tc.where)
			}
		})
	}
}

// TestReviewRoundTrip: escapes, '/' escapes, HTML characters, Latin-1, numbers, booleans, nulls
// and unknown members come back exactly as written; Fix keeps them too.
func TestReviewRoundTrip(t *testing.T) {
	in := `{"Version":"2012-10-17","Id":"\u0041\/b","Statement":[{"Sid":"","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:AssumeRole",` +
		`"Foo":{"a":[1,-0.5e3,null,true,{"b":[]}]},"Condition":{"StringEquals":{"x":"<&>é\"\\","y":12.50},"Bool":{"z":false}}}]}`
	d := mustParse(t, in)
	if got := d.String(); got != in {
		t.Errorf("round trip:\n got %s\nwant %s", got, in)
	}
	fixed, _ := Fix(d, Rules{})
	want := `{"Version":"2012-10-17","Id":"\u0041\/b","Statement":[{"Sid":"","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],` +
		`"Foo":{"a":[1,-0.5e3,null,true,{"b":[]}]},"Condition":{"StringEquals":{"x":"<&>é\"\\","y":12.50},"Bool":{"z":false},"StringLike":{"sts:SourceIdentity":"*"}}}]}`
	if diff := cmp.Diff(want, fixed.String()); diff != "" {
		t.Errorf("fixed (-want +got):\n%s", diff)
	}
	checkInvariants(t, d, Rules{})
}

func TestReviewGeneratedSids(t *testing.T) {
	const svc = `"Service":"ec2.amazonaws.com"`
	runReviewCases(t, []reviewCase{{
		// XSrcId is taken: the split-off statement gets XSrcId2.
		name: "split Sid collides",
		in: `{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Principal":{"AWS":` + roleA + `,` + svc + `},"Action":"sts:AssumeRole"},` +
			`{"Sid":"XSrcId","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out: `{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Principal":{` + svc + `},"Action":"sts:AssumeRole"},` +
			`{"Sid":"XSrcId2","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}},` +
			`{"Sid":"XSrcId","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
	}, {
		// Sids compare case-insensitively when generated (stricter than IAM): xtags is taken.
		name: "tags Sid collides in another case",
		in: `{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:TagSession"]},` +
			`{"Sid":"xtags","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out: `{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}},` +
			`{"Sid":"XTags2","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:TagSession"},` +
			`{"Sid":"xtags","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
	}, {
		// An empty Sid is kept as written; split-off statements get none.
		name:  "empty Sid",
		in:    `{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"AWS":` + roleA + `,` + svc + `},"Action":"sts:AssumeRole"}]}`,
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out: `{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{` + svc + `},"Action":"sts:AssumeRole"},` +
			`{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`,
	}})
}

func TestReviewPartialDenyConflict(t *testing.T) {
	const roleB = `"arn:aws:iam::111122223333:role/b"`
	denyA := `{"Effect":"Deny","Principal":{"AWS":` + roleA + `},"Action":"sts:SetSourceIdentity"}`
	runReviewCases(t, []reviewCase{{
		// The Deny blocks role a only: a stays as is (and is reported), b is still fixed
		// and reported (it used to vanish from the findings).
		name:  "deny blocks one of two principals",
		in:    `{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Allow","Principal":{"AWS":[` + roleA + `,` + roleB + `]},"Action":"sts:AssumeRole"},` + denyA + `]}`,
		codes: []Code{CodeDenyConflict, CodeMissingSetSourceIdentity, CodeMissingCondition},
		out: `{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Allow","Principal":{"AWS":[` + roleA + `]},"Action":"sts:AssumeRole"},` +
			`{"Sid":"SSrcId","Effect":"Allow","Principal":{"AWS":[` + roleB + `]},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}},` + denyA + `]}`,
	}, {
		name:  "deny blocks every principal",
		in:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[` + roleA + `,"arn:aws:sts::111122223333:assumed-role/a/s"]},"Action":"sts:AssumeRole"},` + denyA + `]}`,
		codes: []Code{CodeDenyConflict},
	}})
	d := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[`+roleA+`,`+roleB+`]},"Action":"sts:AssumeRole"},`+denyA+`]}`)
	fs := Check(d, Rules{})
	if len(fs) != 3 || cmp.Diff([]string{"AWS:arn:aws:iam::111122223333:role/a"}, fs[0].Principals) != "" ||
		cmp.Diff([]string{"AWS:arn:aws:iam::111122223333:role/b"}, fs[1].Principals) != "" {
		t.Errorf("findings name the wrong principals: %+v", fs)
	}
}
