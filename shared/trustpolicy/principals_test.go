package trustpolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPrincipalNamesIgnoreCase: IAM role and user names are unique ignoring case, so a Deny
// naming role/deployer (or a session of it) applies to an Allow for role/Deployer. Fixing the
// Allow would require a source identity from a principal the Deny forbids to set one: a lockout
// (issue 7, engine verdict 1).
func TestPrincipalNamesIgnoreCase(t *testing.T) {
	const deployer = `"arn:aws:iam::111122223333:role/Deployer"`
	allow := `{"Effect":"Allow","Principal":{"AWS":` + deployer + `},"Action":"sts:AssumeRole"}`
	allowBoth := `{"Effect":"Allow","Principal":{"AWS":` + deployer + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}`
	fixed := `{"Effect":"Allow","Principal":{"AWS":` + deployer + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}`
	policy := func(a, b string) string { return `{"Version":"2012-10-17","Statement":[` + a + `,` + b + `]}` }
	deny := func(principal, action, cond string) string {
		s := `{"Effect":"Deny","Principal":{"AWS":"` + principal + `"},"Action":"` + action + `"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return s + `}`
	}
	nullTrue := `{"Null":{"sts:SourceIdentity":"true"}}`
	runReviewCases(t, []reviewCase{{
		name:  "deny of SetSourceIdentity to the role in lower case",
		in:    policy(allow, deny("arn:aws:iam::111122223333:role/deployer", "sts:SetSourceIdentity", "")),
		codes: []Code{CodeDenyConflict},
	}, {
		name:  "deny of SetSourceIdentity to a session of the role in lower case",
		in:    policy(allow, deny("arn:aws:sts::111122223333:assumed-role/deployer/x", "sts:SetSourceIdentity", "")),
		codes: []Code{CodeDenyConflict},
	}, {
		name:  "deny naming the role on another path",
		in:    policy(allow, deny("arn:aws:iam::111122223333:role/ci/deployer", "sts:SetSourceIdentity", "")),
		codes: []Code{CodeDenyConflict},
	}, {
		name:  "deny of SetSourceIdentity to a user in other case",
		in:    policy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/Bob"},"Action":"sts:AssumeRole"}`, deny("arn:aws:iam::111122223333:user/BOB", "sts:SetSourceIdentity", "")),
		codes: []Code{CodeDenyConflict},
	}, {
		// The Deny surely names the role (same name ignoring case, same path): it enforces.
		name: "deny without a source identity to the role in lower case enforces",
		in:   policy(allowBoth, deny("arn:aws:iam::111122223333:role/deployer", "sts:AssumeRole", nullTrue)),
	}, {
		name:  "another role is still another role",
		in:    policy(allow, deny("arn:aws:iam::111122223333:role/deployer2", "sts:SetSourceIdentity", "")),
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out:   policy(fixed, deny("arn:aws:iam::111122223333:role/deployer2", "sts:SetSourceIdentity", "")),
	}, {
		name:  "the same name in another account is another role",
		in:    policy(allow, deny("arn:aws:iam::444455556666:role/deployer", "sts:SetSourceIdentity", "")),
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out:   policy(fixed, deny("arn:aws:iam::444455556666:role/deployer", "sts:SetSourceIdentity", "")),
	}, {
		// sts:SetSourceIdentity granted to the role in another spelling covers it.
		name: "SetSourceIdentity granted in another spelling",
		in: policy(`{"Effect":"Allow","Principal":{"AWS":`+deployer+`},"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}`,
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/DEPLOYER"},"Action":"sts:SetSourceIdentity"}`),
	}})
	// Evaluate matches callers the same way.
	d := mustParse(t, policy(allow, deny("arn:aws:iam::111122223333:role/deployer", "sts:SetSourceIdentity", "")))
	for _, caller := range []string{"arn:aws:iam::111122223333:role/deployer", "arn:aws:sts::111122223333:assumed-role/DEPLOYER/s"} {
		if got := Evaluate(d, Request{Principal: caller, Action: actAssumeRole}); !got.Allowed() {
			t.Errorf("Evaluate(%s, AssumeRole) = %+v; want allowed by statement 0", caller, got)
		}
		if got := Evaluate(d, Request{Principal: caller, Action: actSetSourceIdentity}); got.Decision != DecisionExplicitDeny {
			t.Errorf("Evaluate(%s, SetSourceIdentity) = %+v; want explicit deny by statement 1", caller, got)
		}
	}
}

// TestWildcardNotAction: "Principal": "*" with NotAction sts:AssumeRole lets anyone holding a
// SAML assertion or web identity token STS accepts call AssumeRoleWithSAML or
// AssumeRoleWithWebIdentity without a source identity. Check reports it (it used to call the
// policy compliant) and Explain lists the same statement (issue 7, engine verdict 6).
func TestWildcardNotAction(t *testing.T) {
	d := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","NotAction":"sts:AssumeRole"}]}`)
	for _, r := range []Rules{{}, {Federated: []FederatedRule{{Provider: "*:saml-provider/*", Mode: ModeIgnore}}}} {
		fs := Check(d, r)
		if len(fs) != 1 || fs[0].Code != CodeWildcardPrincipal || fs[0].Statement != 0 {
			t.Fatalf("Check = %+v; want one wildcard-principal on statement 0", fs)
		}
		exps := Explain(d, r)
		want := []string{actAssumeRoleWithSAML, actAssumeRoleWithWebIdentity}
		if len(exps) != 1 || exps[0].Principal != "*" || cmp.Diff(want, exps[0].Actions) != "" {
			t.Fatalf("Explain = %+v; want \"*\" with %v", exps, want)
		}
		if fixed, _ := Fix(d, r); fixed != d {
			t.Errorf("Fix changed a bare \"*\" statement")
		}
	}
	// A Deny that refuses those calls without a source identity to anyone closes it.
	closed := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","NotAction":"sts:AssumeRole"},`+
		`{"Effect":"Deny","Principal":"*","Action":["sts:AssumeRoleWithSAML","sts:AssumeRoleWithWebIdentity"],"Condition":{"Null":{"sts:SourceIdentity":"true"}}}]}`)
	if fs, exps := Check(closed, Rules{}), Explain(closed, Rules{}); len(fs) != 0 || len(exps) != 0 {
		t.Errorf("closed by a Deny: Check = %+v, Explain = %+v; want neither", fs, exps)
	}
}

// TestAnyAWSAccount: {"AWS": "*"} without a fence is still patched, and an informational
// any-aws-account finding says that every AWS account can assume the role, before and after the
// fix (issue 7, engine verdict 7).
func TestAnyAWSAccount(t *testing.T) {
	open := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
	d := mustParse(t, open)
	fixed, fs := Fix(d, Rules{})
	var codes []Code
	for _, f := range fs {
		codes = append(codes, f.Code)
	}
	if diff := cmp.Diff([]Code{CodeMissingSetSourceIdentity, CodeMissingCondition, CodeAnyAWSAccount}, codes); diff != "" {
		t.Fatalf("Fix codes (-want +got):\n%s", diff)
	}
	if want := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`; fixed.String() != want {
		t.Errorf("fixed:\n got %s\nwant %s", fixed, want)
	}
	if !Compliant(fs) {
		t.Errorf("Compliant(Fix findings) = false; the informational finding must not hold back the write: %+v", fs)
	}
	after := Check(fixed, Rules{})
	if len(after) != 1 || after[0].Code != CodeAnyAWSAccount || !Compliant(after) {
		t.Errorf("Check(fixed) = %+v; want only any-aws-account, compliant", after)
	}
	if again, _ := Fix(fixed, Rules{}); again != fixed {
		t.Errorf("Fix of the fixed policy changed it")
	}
	checkInvariants(t, d, Rules{})
	// Fenced: no note.
	for _, fenced := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}}]}`,
	} {
		for _, f := range Check(mustParse(t, fenced), Rules{}) {
			if f.Code == CodeAnyAWSAccount {
				t.Errorf("%s: reported %s although the statement is fenced", fenced, f.Code)
			}
		}
	}
	// Allow mode reports it too.
	if fs := Check(d, Rules{Mode: ModeAllow}); len(fs) != 2 || fs[1].Code != CodeAnyAWSAccount {
		t.Errorf("allow mode: %+v; want missing-set-source-identity, any-aws-account", fs)
	}
}

// TestPrincipalVerdicts pins Check's verdict (codes only) on every principal form.
func TestPrincipalVerdicts(t *testing.T) {
	const (
		ssi  = CodeMissingSetSourceIdentity
		cond = CodeMissingCondition
	)
	runVerdicts(t, []verdictCase{
		// Principals (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
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
	})
}
