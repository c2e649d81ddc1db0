package trustpolicy

import (
	"testing"
)

// TestActionVerdicts pins Check's verdict (codes only) on Action/NotAction matching: case-insensitive, '*' and '?' wildcards.
func TestActionVerdicts(t *testing.T) {
	const (
		ssi  = CodeMissingSetSourceIdentity
		cond = CodeMissingCondition
	)
	runVerdicts(t, []verdictCase{
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
	})
}

func TestSetSourceIdentityElsewhere(t *testing.T) {
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
