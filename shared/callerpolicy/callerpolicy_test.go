package callerpolicy

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func mustParse(t interface{ Fatalf(string, ...any) }, s string) *Policy {
	p, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	return p
}

func TestEvaluate(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/deployer"
	user := map[string]string{"aws:username": "alice"}
	si := func(v string) map[string][]string { return map[string][]string{"sts:SourceIdentity": {v}} }
	tests := []struct {
		name   string
		policy string
		req    Request
		want   Result
	}{
		{"allow", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + role + `"}}`,
			Request{Action: "sts:AssumeRole", Resource: role}, Result{Decision: Allow}},
		{"action case-insensitive, wildcard", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"STS:Assume*","Resource":"*"}}`,
			Request{Action: "sts:AssumeRole", Resource: role}, Result{Decision: Allow}},
		{"resource case-sensitive", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/Deployer"}}`,
			Request{Action: "sts:AssumeRole", Resource: role}, Result{Decision: ImplicitDeny}},
		{"NotAction", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"sts:SetSourceIdentity","Resource":"*"}}`,
			Request{Action: "sts:SetSourceIdentity", Resource: role}, Result{Decision: ImplicitDeny}},
		{"NotResource", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:iam::*:role/admin"}}`,
			Request{Action: "sts:AssumeRole", Resource: role}, Result{Decision: Allow}},
		{"deny wins", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"},{"Effect":"Deny","Action":"sts:SetSourceIdentity","Resource":"*"}]}`,
			Request{Action: "sts:SetSourceIdentity", Resource: role}, Result{Decision: ExplicitDeny}},
		{"username bound: own", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username}"}}}}`,
			Request{Action: "sts:SetSourceIdentity", Resource: role, Context: si("alice"), Vars: user}, Result{Decision: Allow}},
		{"username bound: other", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username}"}}}}`,
			Request{Action: "sts:SetSourceIdentity", Resource: role, Context: si("bob"), Vars: user}, Result{Decision: ImplicitDeny}},
		{"variable without a value", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username}"}}}}`,
			Request{Action: "sts:SetSourceIdentity", Resource: role, Context: si("alice")}, Result{Decision: ImplicitDeny}},
		{"variable default", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"StringEquals":{"sts:SourceIdentity":"${aws:username, 'ci'}"}}}}`,
			Request{Action: "sts:SetSourceIdentity", Resource: role, Context: si("ci")}, Result{Decision: Allow}},
		{"a variable's value is not a pattern", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"${aws:PrincipalTag/x}"}}}}`,
			Request{Action: "sts:SetSourceIdentity", Resource: role, Context: si("anything"), Vars: map[string]string{"aws:PrincipalTag/x": "*"}}, Result{Decision: ImplicitDeny}},
		{"escape ${*}", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"a${*}"}}}}`,
			Request{Action: "sts:SetSourceIdentity", Resource: role, Context: si("ab")}, Result{Decision: ImplicitDeny}},
		{"escape ${*} matches a literal star", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"a${*}*"}}}}`,
			Request{Action: "sts:SetSourceIdentity", Resource: role, Context: si("a*bc")}, Result{Decision: Allow}},
		{"? is one character, not one byte", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::111122223333:role/?","Condition":{"StringLike":{"sts:SourceIdentity":"${*}?"}}}}`,
			Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/é", Context: si("*é")}, Result{Decision: Allow}},
		{"no Version: variables are literal", `{"Statement":{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username}"}}}}`,
			Request{Action: "sts:SetSourceIdentity", Resource: role, Context: si("alice"), Vars: user}, Result{Decision: ImplicitDeny}},
		{"Version 2008-10-17: variables are literal", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username}"}}}}`,
			Request{Action: "sts:SetSourceIdentity", Resource: role, Context: si("alice"), Vars: user}, Result{Decision: ImplicitDeny}},
		{"IfExists, key absent", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringLikeIfExists":{"sts:SourceIdentity":"a*"}}}}`,
			Request{Action: "sts:AssumeRole", Resource: role}, Result{Decision: Allow}},
		{"key absent", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}}`,
			Request{Action: "sts:AssumeRole", Resource: role}, Result{Decision: ImplicitDeny}},
		{"negated, key absent", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"sts:SourceIdentity":"x"}}}}`,
			Request{Action: "sts:AssumeRole", Resource: role}, Result{Decision: ExplicitDeny}},
		{"Null", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"sts:SourceIdentity":"true"}}}}`,
			Request{Action: "sts:AssumeRole", Resource: role}, Result{Decision: ExplicitDeny}},
		{"key names case-insensitive", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"STS:sourceidentity":"a1"}}}}`,
			Request{Action: "sts:AssumeRole", Resource: role, Context: si("a1")}, Result{Decision: Allow}},
		{"unknown operator", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}}`,
			Request{Action: "sts:AssumeRole", Resource: role}, Result{Decision: ImplicitDeny, Uncertain: true}},
		{"ForAnyValue", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}}}`,
			Request{Action: "sts:AssumeRole", Resource: role, Context: map[string][]string{"aws:TagKeys": {"c", "b"}}}, Result{Decision: Allow}},
	}
	for _, tt := range tests {
		got := mustParse(t, tt.policy).Evaluate(tt.req)
		if got != tt.want {
			t.Errorf("%s: Evaluate = %+v; want %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{
		`not json`, `{}`, `{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`,
		`{"Statement":{"Effect":"Allow","Action":"*"}}`,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}}`,
		`{"Statement":{"Effect":"Allow","Action":"*","NotAction":"x","Resource":"*"}}`,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}}`,
	} {
		if _, err := Parse([]byte(s)); err == nil {
			t.Errorf("Parse(%s) = nil error", s)
		}
	}
}

func TestGenerate(t *testing.T) {
	got, err := Generate(Spec{Roles: []string{"arn:aws:iam::111122223333:role/deployer", "arn:aws:iam::444455556666:role/audit-*"}, Holder: HolderUser})
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AssumeRoles",
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Resource": [
        "arn:aws:iam::111122223333:role/deployer",
        "arn:aws:iam::444455556666:role/audit-*"
      ]
    },
    {
      "Sid": "SetOwnSourceIdentity",
      "Effect": "Allow",
      "Action": "sts:SetSourceIdentity",
      "Resource": [
        "arn:aws:iam::111122223333:role/deployer",
        "arn:aws:iam::444455556666:role/audit-*"
      ],
      "Condition": {
        "StringLike": {
          "sts:SourceIdentity": "${aws:username}"
        }
      }
    }
  ]
}
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Generate (-want +got):\n%s", diff)
	}
	rs, _ := Generate(Spec{Roles: []string{"arn:aws:iam::111122223333:role/x"}, Holder: HolderRoleSession, TagKey: "email"})
	if !strings.Contains(string(rs), `"sts:SourceIdentity": "${aws:PrincipalTag/email}"`) {
		t.Errorf("role-session policy: %s", rs)
	}
	for _, bad := range []Spec{{Holder: HolderUser}, {Roles: []string{"deployer"}, Holder: HolderUser},
		{Roles: []string{"arn:aws:iam::111122223333:role/x"}, Holder: "group"},
		{Roles: []string{"arn:aws:iam::111122223333:role/x"}, Holder: HolderRoleSession, TagKey: "a}b"}} {
		if _, err := Generate(bad); err == nil {
			t.Errorf("Generate(%+v) = nil error", bad)
		}
	}
}

// Property: the generated policy, judged by the evaluator, lets the holder assume each role and
// set exactly their own value on it, and nothing on other roles; Check agrees.
func TestGeneratedPolicyProperty(t *testing.T) {
	siGen := rapid.StringMatching(`[A-Za-z0-9_+=,.@-]{2,20}`)
	rapid.Check(t, func(t *rapid.T) {
		holder := rapid.SampledFrom([]Holder{HolderUser, HolderRoleSession}).Draw(t, "holder")
		n := rapid.IntRange(1, 3).Draw(t, "roles")
		var roles []string
		for i := range n {
			roles = append(roles, fmt.Sprintf("arn:aws:iam::%012d:role/%s", rapid.IntRange(1, 3).Draw(t, "acct"), rapid.StringMatching(`[a-z]{1,6}`).Draw(t, fmt.Sprint("name", i))))
		}
		spec := Spec{Roles: roles, Holder: holder, TagKey: rapid.SampledFrom([]string{"", "email", "SourceIdentity"}).Draw(t, "tag")}
		text, err := Generate(spec)
		if err != nil {
			t.Fatal(err)
		}
		p := mustParse(t, string(text))
		me := siGen.Draw(t, "me")
		vars := map[string]string{"aws:username": me}
		if holder == HolderRoleSession {
			k := spec.TagKey
			if k == "" {
				k = DefaultTagKey
			}
			vars = map[string]string{"aws:PrincipalTag/" + k: me}
		}
		v := siGen.Draw(t, "value")
		for _, role := range roles {
			ctx := map[string][]string{"sts:SourceIdentity": {v}}
			set := p.Evaluate(Request{Action: "sts:SetSourceIdentity", Resource: role, Context: ctx, Vars: vars})
			if (set.Decision == Allow) != (v == me) || set.Uncertain {
				t.Fatalf("SetSourceIdentity %q by %q on %s: %+v", v, me, role, set)
			}
			if a := p.Evaluate(Request{Action: "sts:AssumeRole", Resource: role, Context: ctx, Vars: vars}); a.Decision != Allow {
				t.Fatalf("AssumeRole on %s: %+v", role, a)
			}
			// The other holder kind's variable does not resolve: nothing may be set.
			if holder == HolderUser {
				if r := p.Evaluate(Request{Action: "sts:SetSourceIdentity", Resource: role, Context: map[string][]string{"sts:SourceIdentity": {me}}, Vars: map[string]string{"aws:PrincipalTag/SourceIdentity": me}}); r.Decision == Allow {
					t.Fatalf("a role session can set a value with the user policy")
				}
			}
		}
		elsewhere := "arn:aws:iam::999999999999:role/elsewhere"
		if r := p.Evaluate(Request{Action: "sts:SetSourceIdentity", Resource: elsewhere, Context: map[string][]string{"sts:SourceIdentity": {me}}, Vars: vars}); r.Decision == Allow {
			t.Fatalf("SetSourceIdentity allowed on %s", elsewhere)
		}
		if verdict := Check(p, holder, roles); !verdict.OK {
			t.Fatalf("Check on the generated policy: %+v", verdict)
		}
	})
}

// Property: Check claims nothing the evaluator contradicts. For random policies, when Check
// says bound, no random value other than the holder's is allowed; when it says the holder can
// set, their own value is allowed. Both answers occur (the test is not vacuous).
func TestCheckIsSoundProperty(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/deployer"
	seen := map[string]int{}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 3).Draw(t, "statements")
		var stmts []string
		for i := range n {
			effect := rapid.SampledFrom([]string{"Allow", "Allow", "Deny"}).Draw(t, fmt.Sprint("effect", i))
			action := rapid.SampledFrom([]string{`"sts:SetSourceIdentity"`, `["sts:AssumeRole","sts:SetSourceIdentity"]`, `"sts:*"`, `"*"`, `"sts:AssumeRole"`}).Draw(t, fmt.Sprint("action", i))
			resource := rapid.SampledFrom([]string{`"*"`, `"` + role + `"`, `"arn:aws:iam::111122223333:role/other"`}).Draw(t, fmt.Sprint("resource", i))
			cond := rapid.SampledFrom([]string{"",
				`,"Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username}"}}`,
				`,"Condition":{"StringEquals":{"sts:SourceIdentity":"${aws:username}"}}`,
				`,"Condition":{"StringNotEquals":{"sts:SourceIdentity":"${aws:username}"}}`,
				`,"Condition":{"StringNotLike":{"sts:SourceIdentity":"${aws:username}"}}`,
				`,"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}`,
				`,"Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username}*"}}`,
				`,"Condition":{"StringLike":{"sts:SourceIdentity":"ci-*"}}`,
				`,"Condition":{"StringEqualsIgnoreCase":{"sts:SourceIdentity":"${aws:username}"}}`,
				`,"Condition":{"StringLikeIfExists":{"sts:SourceIdentity":"${aws:username}"}}`,
				`,"Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`,
			}).Draw(t, fmt.Sprint("cond", i))
			stmts = append(stmts, fmt.Sprintf(`{"Effect":%q,"Action":%s,"Resource":%s%s}`, effect, action, resource, cond))
		}
		text := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		p := mustParse(t, text)
		v := Check(p, HolderUser, []string{role})
		seen[fmt.Sprint("set=", v.CanSet, " bound=", v.Bound)]++
		vars := map[string]string{"aws:username": self}
		if v.CanSet {
			if r := p.Evaluate(Request{Action: "sts:SetSourceIdentity", Resource: role, Context: map[string][]string{"sts:SourceIdentity": {self}}, Vars: vars}); r.Decision != Allow {
				t.Fatalf("Check says the holder can set, the evaluator says %+v\n%s", r, text)
			}
		}
		if v.Bound {
			other := rapid.StringMatching(`(ci-)?[A-Za-z0-9_+=,.@-]{1,12}`).Filter(func(s string) bool { return s != self && len(s) >= 2 }).Draw(t, "other")
			for _, o := range []string{other, self + other, strings.ToUpper(self) + other} {
				if r := p.Evaluate(Request{Action: "sts:SetSourceIdentity", Resource: role, Context: map[string][]string{"sts:SourceIdentity": {o}}, Vars: vars}); r.Decision == Allow || r.Uncertain {
					t.Fatalf("Check says bound, yet %q may be set: %+v\n%s", o, r, text)
				}
			}
		}
	})
	for _, k := range []string{"set=true bound=true", "set=true bound=false", "set=false bound=true"} {
		if seen[k] == 0 {
			t.Errorf("no random policy gave %s (seen %v): the property is not exercised", k, seen)
		}
	}
}

func TestCheckExamples(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/Developer_Role"
	tests := []struct {
		name          string
		policy        string
		holder        Holder
		canSet, bound bool
	}{
		{"IAM User Guide example", `{"Version":"2012-10-17","Statement":[{"Sid":"AssumeRole","Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + role + `"},{"Sid":"SetAwsUserNameAsSourceIdentity","Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"` + role + `","Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username}"}}}]}`, HolderUser, true, true},
		{"the guide's example held by a role session", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + role + `"},{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"` + role + `","Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username}"}}}]}`, HolderRoleSession, false, true},
		{"sts:* without condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}`, HolderUser, true, false},
		{"AssumeRole only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`, HolderUser, false, true},
		{"any value", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`, HolderUser, true, false},
		{"bound by a Deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"},{"Effect":"Deny","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"StringNotEquals":{"sts:SourceIdentity":"${aws:username}"}}}]}`, HolderUser, true, true},
		{"principal tag", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"},{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"${aws:PrincipalTag/email}"}}}]}`, HolderRoleSession, true, true},
		{"prefix of the user name", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username}*"}}}]}`, HolderUser, true, false},
		{"unknown condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"},{"Effect":"Allow","Action":"sts:SetSourceIdentity","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`, HolderUser, false, false},
	}
	for _, tt := range tests {
		v := Check(mustParse(t, tt.policy), tt.holder, []string{role})
		if v.CanSet != tt.canSet || v.Bound != tt.bound || v.OK != (tt.canSet && tt.bound) {
			b, _ := json.Marshal(v)
			t.Errorf("%s: %s; want canSet=%v bound=%v", tt.name, b, tt.canSet, tt.bound)
		}
	}
	// Without roles, the policy's own resources are tried, wildcards filled in.
	v := Check(mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"arn:aws:iam::*:role/deploy-*","Condition":{"StringEquals":{"sts:SourceIdentity":"${aws:username}"}}}]}`), HolderUser, nil)
	if !v.OK || len(v.Roles) != 1 || v.Roles[0].Role != "arn:aws:iam::x:role/deploy-x" {
		t.Errorf("Check without roles = %+v", v)
	}
}
