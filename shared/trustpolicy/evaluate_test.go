package trustpolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Policies from the IAM User Guide examples
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html).
const (
	developerRole = `{"Version":"2012-10-17","Statement":[
 {"Sid":"AllowDevUserAssumeRole","Effect":"Allow",
  "Principal":{"AWS":"arn:aws:iam::123456789012:user/DevUser"},
  "Action":["sts:AssumeRole","sts:SetSourceIdentity"],
  "Condition":{"StringEquals":{"sts:SourceIdentity":"DevUser"}}}]}`
	samlGuide = `{"Version":"2012-10-17","Statement":[
 {"Sid":"SAMLProviderAssumeRoleWithSAML","Effect":"Allow",
  "Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/name-of-identity-provider"},
  "Action":["sts:AssumeRoleWithSAML"],
  "Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}},
 {"Sid":"SetSourceIdentitySrEngs","Effect":"Allow",
  "Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/name-of-identity-provider"},
  "Action":["sts:SetSourceIdentity"],
  "Condition":{"StringLike":{"sts:SourceIdentity":["Saanvi","Diego"]}}}]}`
	oidcGuide = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow",
  "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/server.example.com"},
  "Action":["sts:AssumeRoleWithWebIdentity","sts:SetSourceIdentity"],
  "Condition":{"StringEquals":{"server.example.com:aud":"oidc-audience-id"},
               "StringLike":{"sts:SourceIdentity":["Saanvi","Diego"]}}}]}`
	criticalRole2 = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/CriticalRole"},
  "Action":["sts:AssumeRole","sts:SetSourceIdentity"],
  "Condition":{"StringLike":{"aws:SourceIdentity":["Saanvi","Diego"]}}}]}`
	orgFence = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"*"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],
  "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"},"StringLike":{"sts:SourceIdentity":"*"}}},
 {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}}]}`
	operators = `{"Version":"2012-10-17","Statement":[
 {"Sid":"IfExists","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/ifexists"},"Action":"sts:AssumeRole","Condition":{"StringLikeIfExists":{"sts:SourceIdentity":"a*"}}},
 {"Sid":"NullTrue","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/nulltrue"},"Action":"sts:AssumeRole","Condition":{"Null":{"sts:SourceIdentity":"true"}}},
 {"Sid":"NullFalse","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/nullfalse"},"Action":"sts:AssumeRole","Condition":{"Null":{"STS:SourceIdentity":false}}},
 {"Sid":"NotLike","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/notlike"},"Action":"sts:AssumeRole","Condition":{"StringNotLike":{"sts:SourceIdentity":["a*","b*"]}}},
 {"Sid":"ForAll","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/forall"},"Action":"sts:AssumeRole","Condition":{"ForAllValues:StringEquals":{"sts:SourceIdentity":"alice"}}},
 {"Sid":"ForAny","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/forany"},"Action":"sts:AssumeRole","Condition":{"ForAnyValue:StringEquals":{"sts:SourceIdentity":"alice"}}},
 {"Sid":"Fold","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/fold"},"Action":"sts:AssumeRole","Condition":{"StringEqualsIgnoreCase":{"sts:SourceIdentity":"ALICE"}}},
 {"Sid":"Var","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/var"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:SourceIdentity":"${aws:username}"}}},
 {"Sid":"Num","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/num"},"Action":"sts:AssumeRole","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}},
 {"Sid":"Ip","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/ip"},"Action":"sts:AssumeRole","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}},
 {"Sid":"Unknown","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/unknown"},"Action":"sts:AssumeRole","Condition":{"StringMatchesRegex":{"sts:SourceIdentity":".*"}}}]}`
)

func TestEvaluate(t *testing.T) {
	si := func(v string) map[string][]string { return map[string][]string{"sts:SourceIdentity": {v}} }
	tests := []struct {
		name   string
		policy string
		req    Request
		want   Decision
	}{
		{"dev: right SI", developerRole, Request{"AWS:arn:aws:iam::123456789012:user/DevUser", "sts:AssumeRole", si("DevUser")}, DecisionAllow},
		{"dev: SetSourceIdentity", developerRole, Request{"arn:aws:iam::123456789012:user/DevUser", "sts:setsourceidentity", si("DevUser")}, DecisionAllow},
		{"dev: no SI", developerRole, Request{"AWS:arn:aws:iam::123456789012:user/DevUser", "sts:AssumeRole", nil}, DecisionImplicitDeny},
		{"dev: other SI", developerRole, Request{"AWS:arn:aws:iam::123456789012:user/DevUser", "sts:AssumeRole", si("devuser")}, DecisionImplicitDeny},
		{"dev: other user", developerRole, Request{"AWS:arn:aws:iam::123456789012:user/Other", "sts:AssumeRole", si("DevUser")}, DecisionImplicitDeny},
		{"saml: no SI still allowed (guide policy does not enforce)", samlGuide, Request{"Federated:arn:aws:iam::111122223333:saml-provider/name-of-identity-provider", "sts:AssumeRoleWithSAML",
			map[string][]string{"SAML:aud": {"https://signin.aws.amazon.com/saml"}}}, DecisionAllow},
		{"saml: SetSourceIdentity limited to values", samlGuide, Request{"Federated:arn:aws:iam::111122223333:saml-provider/name-of-identity-provider", "sts:SetSourceIdentity", si("Mallory")}, DecisionImplicitDeny},
		{"oidc: SI and aud", oidcGuide, Request{"Federated:arn:aws:iam::111122223333:oidc-provider/server.example.com", "sts:AssumeRoleWithWebIdentity",
			map[string][]string{"server.example.com:aud": {"oidc-audience-id"}, "sts:SourceIdentity": {"Saanvi"}}}, DecisionAllow},
		{"oidc: no SI", oidcGuide, Request{"Federated:arn:aws:iam::111122223333:oidc-provider/server.example.com", "sts:AssumeRoleWithWebIdentity",
			map[string][]string{"server.example.com:aud": {"oidc-audience-id"}}}, DecisionImplicitDeny},
		{"critical: first hop with SI fails (aws:SourceIdentity absent)", criticalRole2, Request{"AWS:arn:aws:iam::111111111111:role/CriticalRole", "sts:AssumeRole", si("Saanvi")}, DecisionImplicitDeny},
		{"critical: chained call", criticalRole2, Request{"AWS:arn:aws:sts::111111111111:assumed-role/CriticalRole/s1", "sts:AssumeRole",
			map[string][]string{"sts:SourceIdentity": {"Saanvi"}, "aws:SourceIdentity": {"Saanvi"}}}, DecisionAllow},
		{"fence: member with SI", orgFence, Request{"AWS:arn:aws:iam::444455556666:role/x", "sts:AssumeRole", map[string][]string{"aws:PrincipalOrgID": {"o-abc"}, "sts:SourceIdentity": {"ab"}}}, DecisionAllow},
		{"fence: outsider denied", orgFence, Request{"AWS:arn:aws:iam::444455556666:role/x", "sts:AssumeRole", map[string][]string{"aws:PrincipalOrgID": {"o-zzz"}, "sts:SourceIdentity": {"ab"}}}, DecisionExplicitDeny},
		{"fence: no org id denied (IfExists passes when absent)", orgFence, Request{"AWS:arn:aws:iam::444455556666:role/x", "sts:AssumeRole", si("ab")}, DecisionExplicitDeny},
		{"IfExists: absent passes", operators, Request{"arn:aws:iam::111122223333:user/ifexists", "sts:AssumeRole", nil}, DecisionAllow},
		{"IfExists: present must match", operators, Request{"arn:aws:iam::111122223333:user/ifexists", "sts:AssumeRole", si("bob")}, DecisionImplicitDeny},
		{"Null true: absent", operators, Request{"arn:aws:iam::111122223333:user/nulltrue", "sts:AssumeRole", nil}, DecisionAllow},
		{"Null true: present", operators, Request{"arn:aws:iam::111122223333:user/nulltrue", "sts:AssumeRole", si("ab")}, DecisionImplicitDeny},
		{"Null false (bool, key case): absent", operators, Request{"arn:aws:iam::111122223333:user/nullfalse", "sts:AssumeRole", nil}, DecisionImplicitDeny},
		{"Null false: present", operators, Request{"arn:aws:iam::111122223333:user/nullfalse", "sts:AssumeRole", si("ab")}, DecisionAllow},
		{"NotLike: absent passes", operators, Request{"arn:aws:iam::111122223333:user/notlike", "sts:AssumeRole", nil}, DecisionAllow},
		{"NotLike: values AND'ed", operators, Request{"arn:aws:iam::111122223333:user/notlike", "sts:AssumeRole", si("bob")}, DecisionImplicitDeny},
		{"NotLike: other value", operators, Request{"arn:aws:iam::111122223333:user/notlike", "sts:AssumeRole", si("carol")}, DecisionAllow},
		{"ForAllValues: absent passes", operators, Request{"arn:aws:iam::111122223333:user/forall", "sts:AssumeRole", nil}, DecisionAllow},
		{"ForAnyValue: absent fails", operators, Request{"arn:aws:iam::111122223333:user/forany", "sts:AssumeRole", nil}, DecisionImplicitDeny},
		{"ForAnyValue: match", operators, Request{"arn:aws:iam::111122223333:user/forany", "sts:AssumeRole", si("alice")}, DecisionAllow},
		{"IgnoreCase", operators, Request{"arn:aws:iam::111122223333:user/fold", "sts:AssumeRole", si("alice")}, DecisionAllow},
		{"variable resolved", operators, Request{"arn:aws:iam::111122223333:user/var", "sts:AssumeRole", map[string][]string{"aws:username": {"var"}, "sts:SourceIdentity": {"var"}}}, DecisionAllow},
		{"variable unresolved (role session)", operators, Request{"arn:aws:iam::111122223333:user/var", "sts:AssumeRole", si("var")}, DecisionImplicitDeny},
		{"numeric and bool", operators, Request{"arn:aws:iam::111122223333:user/num", "sts:AssumeRole", map[string][]string{"aws:MultiFactorAuthAge": {"120"}, "aws:MultiFactorAuthPresent": {"TRUE"}}}, DecisionAllow},
		{"numeric too old", operators, Request{"arn:aws:iam::111122223333:user/num", "sts:AssumeRole", map[string][]string{"aws:MultiFactorAuthAge": {"7200"}, "aws:MultiFactorAuthPresent": {"true"}}}, DecisionImplicitDeny},
		{"ip in range", operators, Request{"arn:aws:iam::111122223333:user/ip", "sts:AssumeRole", map[string][]string{"aws:SourceIp": {"203.0.113.7"}}}, DecisionAllow},
		{"ip out of range", operators, Request{"arn:aws:iam::111122223333:user/ip", "sts:AssumeRole", map[string][]string{"aws:SourceIp": {"198.51.100.1"}}}, DecisionImplicitDeny},
		{"unknown operator does not match", operators, Request{"arn:aws:iam::111122223333:user/unknown", "sts:AssumeRole", si("ab")}, DecisionImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			if got := Evaluate(d, tt.req); got.Decision != tt.want {
				t.Errorf("Evaluate(%+v) = %+v; want %s", tt.req, got, tt.want)
			}
		})
	}
}

func TestCheckGuideExamples(t *testing.T) {
	saml := Rules{Federated: []FederatedRule{{Provider: "*:saml-provider/*", Mode: ModeRequire}}}
	oidc := Rules{Federated: []FederatedRule{{Provider: "*server.example.com", Mode: ModeRequire}}}
	tests := []struct {
		name   string
		policy string
		rules  Rules
		want   []Code
	}{
		{"Developer_Role is compliant", developerRole, Rules{}, nil},
		{"SAML guide policy, SAML ignored", samlGuide, Rules{}, nil},
		{"SAML guide policy, SAML required: AssumeRoleWithSAML needs the condition and the action", samlGuide, saml,
			[]Code{CodeMissingSetSourceIdentity, CodeMissingCondition}},
		{"OIDC guide policy is compliant", oidcGuide, oidc, nil},
		// aws:SourceIdentity refuses first-hop callers without an SI (and with one): Explain
		// lists nobody, so Check does not say anyone gets in; it still adds the recognised form.
		{"CriticalRole_2 uses aws:SourceIdentity", criticalRole2, Rules{}, []Code{CodeUnrecognisedCondition}},
		{"CriticalRole_2 in allow mode", criticalRole2, Rules{Mode: ModeAllow}, nil},
		{"org fence is compliant", orgFence, Rules{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			var got []Code
			for _, f := range Check(d, tt.rules) {
				got = append(got, f.Code)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check codes (-want +got):\n%s", diff)
			}
		})
	}
}
