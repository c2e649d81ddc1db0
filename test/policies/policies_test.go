package policies

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// policy is an SCP or RCP as far as these tests read it.
type policy struct {
	Version   string
	Statement []statement
}

type statement struct {
	Sid       string
	Effect    string
	Principal any
	Action    stringList
	NotAction stringList
	Resource  stringList
	Condition map[string]map[string]stringList
}

type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*l = []string{s}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(l))
}

func load(t *testing.T, name string) (policy, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "policies", name))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p policy
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		t.Fatal(err)
	}
	return p, compact.Bytes()
}

// request is what a statement is evaluated against. Keys absent from Context are absent from
// the request.
type request struct {
	Action, Resource string
	Context          map[string][]string
}

// denies reports whether a Deny statement of p applies to r. It evaluates the operators the
// shipped policies use, as IAM documents them
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html);
// an operator it does not know fails the test.
func denies(t *testing.T, p policy, r request) string {
	t.Helper()
	for _, s := range p.Statement {
		if s.Effect != "Deny" || !anyMatch(s.Action, strings.ToLower(r.Action), true) || !anyMatch(s.Resource, r.Resource, false) {
			continue
		}
		if conditionsHold(t, s.Condition, r.Context) {
			return s.Sid
		}
	}
	return ""
}

func anyMatch(globs []string, v string, lower bool) bool {
	for _, g := range globs {
		if lower {
			g = strings.ToLower(g)
		}
		if trustpolicy.Match(g, v) {
			return true
		}
	}
	return false
}

func conditionsHold(t *testing.T, cond map[string]map[string]stringList, ctx map[string][]string) bool {
	t.Helper()
	for op, keys := range cond {
		for key, want := range keys {
			got, present := ctx[key]
			ifExists := strings.HasSuffix(op, "IfExists")
			base := strings.TrimSuffix(op, "IfExists")
			if ifExists && !present {
				continue
			}
			var ok bool
			switch base {
			case "Null":
				ok = (want[0] == "true") == !present
			case "ForAnyValue:StringLike":
				ok = false
				for _, v := range got {
					ok = ok || anyMatch(want, v, false)
				}
			case "ArnLike", "StringLike", "StringEquals", "Bool":
				ok = present && anyMatch(want, got[0], false)
			case "ArnNotLike", "StringNotLike", "StringNotEquals":
				ok = !present || !anyMatch(want, got[0], false)
			default:
				t.Fatalf("condition operator %s: not evaluated by this test", op)
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// shape checks what IAM requires of every SCP and RCP (size quota 5,120 characters; Version).
func shape(t *testing.T, name string, p policy, compact []byte) {
	t.Helper()
	if len(compact) > 5120 {
		t.Errorf("%s: %d characters; SCPs and RCPs may have 5,120", name, len(compact))
	}
	if p.Version != "2012-10-17" || len(p.Statement) == 0 {
		t.Errorf("%s: version %q, %d statements", name, p.Version, len(p.Statement))
	}
	for _, s := range p.Statement {
		if s.Sid == "" || s.Effect != "Deny" || len(s.Action) == 0 || len(s.NotAction) != 0 || len(s.Resource) == 0 {
			t.Errorf("%s: statement %+v: want a Sid, Deny, Action and Resource", name, s)
		}
	}
}

// The SCP (bypass 3 and 4): role owners cannot set, change or remove the guard's tags, and
// nobody but the guard and its deployer changes the guard's roles and stack resources.
func TestProtectGuardSCP(t *testing.T) {
	p, compact := load(t, "protect-guard-scp.json")
	shape(t, "protect-guard-scp.json", p, compact)
	for _, s := range p.Statement {
		if s.Principal != nil {
			t.Errorf("statement %s has a Principal; SCPs do not", s.Sid)
		}
	}
	const acct = "111122223333"
	owner := "arn:aws:iam::" + acct + ":role/app-team"
	tagAdmin := "arn:aws:iam::" + acct + ":role/source-identity-guard-tag-admin"
	deployer := "arn:aws:iam::" + acct + ":role/source-identity-guard-deployer"
	enforce := "arn:aws:iam::" + acct + ":role/source-identity-guard/source-identity-guard/source-identity-guard-EnforceFunctionRole-X"
	guardRole := enforce
	tags := func(principal string, keys ...string) map[string][]string {
		return map[string][]string{"aws:PrincipalArn": {principal}, "aws:TagKeys": keys}
	}
	who := func(principal string) map[string][]string {
		return map[string][]string{"aws:PrincipalArn": {principal}}
	}
	cases := []struct {
		name string
		r    request
		deny bool
	}{
		{"owner tags own role exempt", request{"iam:TagRole", "arn:aws:iam::" + acct + ":role/app", tags(owner, "source-identity-guard:exempt")}, true},
		{"owner sets a guard tag in CreateRole", request{"iam:CreateRole", "arn:aws:iam::" + acct + ":role/app", tags(owner, "team", "source-identity-guard:mode")}, true},
		{"owner removes a guard tag", request{"iam:UntagRole", "arn:aws:iam::" + acct + ":role/app", tags(owner, "source-identity-guard:mode")}, true},
		{"action names are case-insensitive", request{"IAM:tagrole", "arn:aws:iam::" + acct + ":role/app", tags(owner, "source-identity-guard:exempt")}, true},
		{"owner tags with other keys", request{"iam:TagRole", "arn:aws:iam::" + acct + ":role/app", tags(owner, "team")}, false},
		{"owner creates a role without tags", request{"iam:CreateRole", "arn:aws:iam::" + acct + ":role/app", who(owner)}, false},
		{"tag admin sets a guard tag", request{"iam:TagRole", "arn:aws:iam::" + acct + ":role/app", tags(tagAdmin, "source-identity-guard:exempt")}, false},
		{"owner re-trusts the guard's role", request{"iam:UpdateAssumeRolePolicy", guardRole, who(owner)}, true},
		{"owner attaches a policy to the guard's role", request{"iam:AttachRolePolicy", guardRole, who(owner)}, true},
		{"the guard restores its own role", request{"iam:UpdateAssumeRolePolicy", guardRole, who(enforce)}, false},
		{"the deployer updates the guard's role", request{"iam:PutRolePolicy", guardRole, who(deployer)}, false},
		{"owner re-trusts their own role", request{"iam:UpdateAssumeRolePolicy", "arn:aws:iam::" + acct + ":role/app", who(owner)}, false},
		{"owner disables the rule", request{"events:DisableRule", "arn:aws:events:us-east-1:" + acct + ":rule/source-identity-guard-EnforceFunctionTrustPolicyChange-X", who(owner)}, true},
		{"owner floods the queue with messages", request{"sqs:SendMessage", "arn:aws:sqs:us-east-1:" + acct + ":source-identity-guard-EnforceQueue-X", who(owner)}, true},
		{"owner purges the queue", request{"sqs:PurgeQueue", "arn:aws:sqs:us-east-1:" + acct + ":source-identity-guard-EnforceQueue-X", who(owner)}, true},
		{"owner sets the function's concurrency to 0", request{"lambda:PutFunctionConcurrency", "arn:aws:lambda:us-east-1:" + acct + ":function:source-identity-guard-EnforceFunction-X", who(owner)}, true},
		{"owner writes the sweep position", request{"ssm:PutParameter", "arn:aws:ssm:us-east-1:" + acct + ":parameter/source-identity-guard/source-identity-guard/sweep-position", who(owner)}, true},
		{"owner holds the sweep lease", request{"dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:" + acct + ":table/source-identity-guard-SweepLockTable-X", who(owner)}, true},
		{"owner deletes the stack", request{"cloudformation:DeleteStack", "arn:aws:cloudformation:us-east-1:" + acct + ":stack/source-identity-guard/abc", who(owner)}, true},
		{"the sweep writes its position", request{"ssm:PutParameter", "arn:aws:ssm:us-east-1:" + acct + ":parameter/source-identity-guard/source-identity-guard/sweep-position", who(guardRole)}, false},
		{"owner deletes the guard's event source mapping", request{"lambda:DeleteEventSourceMapping", "arn:aws:lambda:us-east-1:" + acct + ":event-source-mapping:uuid",
			map[string][]string{"aws:PrincipalArn": {owner}, "lambda:FunctionArn": {"arn:aws:lambda:us-east-1:" + acct + ":function:source-identity-guard-EnforceFunction-X"}}}, true},
		{"owner changes the position key's policy", request{"kms:PutKeyPolicy", "arn:aws:kms:us-east-1:" + acct + ":key/k",
			map[string][]string{"aws:PrincipalArn": {owner}, "aws:ResourceTag/aws:cloudformation:stack-name": {"source-identity-guard"}}}, true},
		{"owner changes another key", request{"kms:PutKeyPolicy", "arn:aws:kms:us-east-1:" + acct + ":key/k", who(owner)}, false},
		{"owner writes another parameter", request{"ssm:PutParameter", "arn:aws:ssm:us-east-1:" + acct + ":parameter/app/x", who(owner)}, false},
	}
	for _, c := range cases {
		if sid := denies(t, p, c.r); (sid != "") != c.deny {
			t.Errorf("%s: denied by %q; want denied %v", c.name, sid, c.deny)
		}
	}
}

// The RCP (docs/security.md): closes the window between CreateRole and the guard's patch in
// member accounts: no AssumeRole without a source identity, except for AWS services and the
// AWS automation that cannot set one.
func TestRequireSourceIdentityRCP(t *testing.T) {
	p, compact := load(t, "require-source-identity-rcp.json")
	shape(t, "require-source-identity-rcp.json", p, compact)
	for _, s := range p.Statement {
		if s.Principal != "*" {
			t.Errorf("statement %s: Principal %v; an RCP statement must have \"*\"", s.Sid, s.Principal)
		}
		for _, a := range s.Action {
			if strings.Contains(strings.ToLower(a), "saml") || strings.Contains(strings.ToLower(a), "webidentity") || a == "sts:*" {
				t.Errorf("statement %s denies %s: that would lock out every SSO and OIDC user", s.Sid, a)
			}
		}
	}
	role := "arn:aws:iam::111122223333:role/new-role"
	ctx := func(kv ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = []string{kv[i+1]}
		}
		return m
	}
	cases := []struct {
		name string
		r    request
		deny bool
	}{
		{"a user without a source identity", request{"sts:AssumeRole", role, ctx("aws:PrincipalArn", "arn:aws:iam::444455556666:user/bob", "aws:PrincipalIsAWSService", "false")}, true},
		{"a role session without one", request{"sts:AssumeRole", role, ctx("aws:PrincipalArn", "arn:aws:iam::111122223333:role/ci", "aws:PrincipalIsAWSService", "false")}, true},
		{"with a source identity", request{"sts:AssumeRole", role, ctx("aws:PrincipalArn", "arn:aws:iam::111122223333:role/ci", "aws:PrincipalIsAWSService", "false", "sts:SourceIdentity", "alice")}, false},
		{"an AWS service", request{"sts:AssumeRole", role, ctx("aws:PrincipalIsAWSService", "true")}, false},
		{"the StackSets service-linked role", request{"sts:AssumeRole", "arn:aws:iam::111122223333:role/stacksets-exec-abc", ctx("aws:PrincipalArn", "arn:aws:iam::999988887777:role/aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgAdmin", "aws:PrincipalIsAWSService", "false")}, false},
		{"a role tagged rcp-exempt", request{"sts:AssumeRole", role, ctx("aws:PrincipalArn", "arn:aws:iam::444455556666:user/bob", "aws:PrincipalIsAWSService", "false", "aws:ResourceTag/source-identity-guard:rcp-exempt", "true")}, false},
		{"SAML is not denied", request{"sts:AssumeRoleWithSAML", role, ctx("aws:PrincipalIsAWSService", "false")}, false},
	}
	for _, c := range cases {
		if sid := denies(t, p, c.r); (sid != "") != c.deny {
			t.Errorf("%s: denied by %q; want denied %v", c.name, sid, c.deny)
		}
	}
}
