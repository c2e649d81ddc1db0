package trustpolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDenyConditionsThePrincipalFixes: a Deny conflicts only where it can apply to the
// principal. Its conditions are evaluated where the principal fixes their value
// (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:username); on any other key,
// or where the value is known only up to letter case, the engine stays conservative (issue 7,
// engine verdict 2).
func TestDenyConditionsThePrincipalFixes(t *testing.T) {
	allowA := `{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:AssumeRole"}`
	fixedA := `{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}`
	policy := func(a, b string) string { return `{"Version":"2012-10-17","Statement":[` + a + `,` + b + `]}` }
	deny := func(cond string) string {
		return `{"Effect":"Deny","Principal":"*","Action":"sts:SetSourceIdentity","Condition":` + cond + `}`
	}
	fixes := func(name, cond string) reviewCase {
		return reviewCase{name: name, in: policy(allowA, deny(cond)),
			codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition}, out: policy(fixedA, deny(cond))}
	}
	conflicts := func(name, cond string) reviewCase {
		return reviewCase{name: name, in: policy(allowA, deny(cond)), codes: []Code{CodeDenyConflict}}
	}
	runReviewCases(t, []reviewCase{
		fixes("ArnLike aws:PrincipalArn that cannot match the role", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/breakglass-*"}}`),
		fixes("ArnEquals another role", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/b"}}`),
		// Every spelling of the name matches "role/*" (and "role/?"): the role is exempt.
		fixes("ArnNotLike that exempts every role", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}`),
		fixes("ArnNotLike that exempts one-letter roles", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/?"}}`),
		fixes("another account", `{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}`),
		fixes("users only", `{"StringEquals":{"aws:PrincipalType":"User"}}`),
		fixes("a user name, for a role session", `{"StringEquals":{"aws:username":"alice"}}`),
		conflicts("ArnLike that matches the role", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}`),
		// IAM may spell the name "A": only "no spelling matches" is certain.
		conflicts("ArnLike that matches the role in another case", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/A"}}`),
		conflicts("ArnNotLike that exempts only this spelling", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/a"}}`),
		// Each value alone covers only some spellings; the engine does not combine them.
		conflicts("ArnNotLike whose values together cover every spelling", `{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::111122223333:role/a*","arn:aws:iam::111122223333:role/A*"]}}`),
		conflicts("the role's account", `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`),
		conflicts("a key the principal does not fix", `{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}`),
	})
	// The account principal fixes the account only.
	allowAcct := `{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}`
	runReviewCases(t, []reviewCase{{
		name:  "account principal: ArnLike on a role is unknown",
		in:    policy(allowAcct, deny(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/breakglass-*"}}`)),
		codes: []Code{CodeDenyConflict},
	}, {
		name:  "account principal: another account",
		in:    policy(allowAcct, deny(`{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}`)),
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out: policy(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}`,
			deny(`{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}`)),
	}})
}

// TestDenySharingAllowConditionsEnforces: an Allow and a Deny with the same conditions, the
// Deny adding Null sts:SourceIdentity "true", already require a source identity: whenever the
// Allow admits a request without one, the Deny refuses it. Check says compliant and Fix
// changes nothing (issue 7, engine verdict 3).
func TestDenySharingAllowConditionsEnforces(t *testing.T) {
	org := `"StringEquals":{"aws:PrincipalOrgID":"o-1"}`
	policy := func(allowAction, denyCond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":` + allowAction + `,"Condition":{` + org + `,"Bool":{"aws:MultiFactorAuthPresent":"true"}}},` +
			`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole","Condition":{` + denyCond + `}}]}`
	}
	both := `["sts:AssumeRole","sts:SetSourceIdentity"]`
	runReviewCases(t, []reviewCase{{
		name: "same conditions plus Null true",
		in:   policy(both, org+`,"Bool":{"aws:MultiFactorAuthPresent":"true"},"Null":{"sts:SourceIdentity":"true"}`),
	}, {
		name: "a subset of the Allow's conditions plus Null true",
		in:   policy(both, org+`,"Null":{"sts:SourceIdentity":"true"}`),
	}, {
		// Only sts:SetSourceIdentity is missing: no condition is added.
		name:  "same conditions, SetSourceIdentity missing",
		in:    policy(`"sts:AssumeRole"`, org+`,"Null":{"sts:SourceIdentity":"true"}`),
		codes: []Code{CodeMissingSetSourceIdentity},
		out: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{` + org + `,"Bool":{"aws:MultiFactorAuthPresent":"true"}}},` +
			`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole","Condition":{` + org + `,"Null":{"sts:SourceIdentity":"true"}}}]}`,
	}, {
		// A condition the Allow does not have: the Deny may not apply where the Allow does.
		name:  "a different org in the Deny",
		in:    policy(both, `"StringEquals":{"aws:PrincipalOrgID":"o-2"},"Null":{"sts:SourceIdentity":"true"}`),
		codes: []Code{CodeMissingCondition},
		out: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{` + org + `,"Bool":{"aws:MultiFactorAuthPresent":"true"},"StringLike":{"sts:SourceIdentity":"*"}}},` +
			`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-2"},"Null":{"sts:SourceIdentity":"true"}}}]}`,
	}, {
		// A key the principal fixes, surely true for it, also counts.
		name: "the principal's own account plus Null true",
		in:   policy(both, `"StringEquals":{"aws:PrincipalAccount":"444455556666"},"Null":{"sts:SourceIdentity":"true"}`),
	}})
	d := mustParse(t, policy(both, org+`,"Null":{"sts:SourceIdentity":"true"}`))
	if exps := Explain(d, Rules{}); len(exps) != 0 {
		t.Errorf("Explain lists %+v; the Deny refuses every request without a source identity the Allow admits", exps)
	}
}

func TestDenyEnforcesSourceIdentity(t *testing.T) {
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

func TestPartialDenyConflict(t *testing.T) {
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

// TestDenyVerdicts pins Check's verdict (codes only) on Deny statements.
func TestDenyVerdicts(t *testing.T) {
	const (
		ssi  = CodeMissingSetSourceIdentity
		cond = CodeMissingCondition
	)
	two := func(a, b string) string { return `{"Version":"2012-10-17","Statement":[` + a + `,` + b + `]}` }
	allowA := `{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:AssumeRole"}`
	runVerdicts(t, []verdictCase{
		// Deny statements (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
		{"org fence", Rules{}, two(allowA, `{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}}`), []Code{ssi, cond}},
		{"deny SetSourceIdentity", Rules{}, two(allowA, `{"Effect":"Deny","Principal":"*","Action":"sts:SetSourceIdentity"}`), []Code{CodeDenyConflict}},
		{"deny NotAction AssumeRole", Rules{}, two(allowA, `{"Effect":"Deny","Principal":{"AWS":"111122223333"},"NotAction":"sts:AssumeRole"}`), []Code{CodeDenyConflict}},
		{"deny NotAction both", Rules{}, two(allowA, `{"Effect":"Deny","Principal":"*","NotAction":["sts:AssumeRole","sts:SetSourceIdentity"]}`), []Code{ssi, cond}},
		{"deny for another account", Rules{}, two(allowA, `{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:SetSourceIdentity"}`), []Code{ssi, cond}},
		{"deny for the account in another spelling", Rules{}, two(allowA, `{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sts:SetSourceIdentity"}`), []Code{CodeDenyConflict}},
		{"deny for a session of the role", Rules{}, two(allowA, `{"Effect":"Deny","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/a/s"},"Action":"sts:SetSourceIdentity"}`), []Code{CodeDenyConflict}},
		{"deny for a service", Rules{}, two(allowA, `{"Effect":"Deny","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:*"}`), []Code{ssi, cond}},
	})
}
