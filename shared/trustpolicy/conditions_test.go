package trustpolicy

import (
	"testing"
)

func TestPolicyVariables(t *testing.T) {
	const userBob = `"arn:aws:iam::111122223333:user/bob"`
	runReviewCases(t, []reviewCase{{
		// StringEquals "${aws:username}" enforces (IAM user: SI must equal the user
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
		// No Version: variables are literal too
		// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
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

func TestConflictWitnesses(t *testing.T) {
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

func TestInvalidSourceIdentities(t *testing.T) {
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

// TestConditionVerdicts pins Check's verdict (codes only) on the condition forms on sts:SourceIdentity (docs/trust-policy-engine.md, "What compliant means").
func TestConditionVerdicts(t *testing.T) {
	const (
		ssi   = CodeMissingSetSourceIdentity
		cond  = CodeMissingCondition
		unrec = CodeUnrecognisedCondition // refuses callers without an SI, in a form not relied on
	)
	assume := `"Action":"sts:AssumeRole"`
	both := `"Action":["sts:AssumeRole","sts:SetSourceIdentity"]`
	runVerdicts(t, []verdictCase{
		// Condition forms on the key (docs/trust-policy-engine.md, "What compliant means").
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
	})
}
