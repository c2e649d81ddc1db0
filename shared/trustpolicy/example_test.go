package trustpolicy_test

import (
	"fmt"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

const ciRole = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
    {"Sid": "CI", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::111122223333:role/ci-runner"},
     "Action": "sts:AssumeRole",
     "Condition": {"StringEquals": {"sts:ExternalId": "a&b"}}}
  ]
}`

func ExampleParse() {
	doc, err := trustpolicy.Parse([]byte(ciRole))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := doc.MarshalJSON()
	fmt.Println(string(out))
	fmt.Println(doc.Size(), "characters")

	_, err = trustpolicy.Parse([]byte(`{"Statement":[{"Effect":"allow","Principal":"*","Action":"sts:AssumeRole"}]}`))
	fmt.Println(err)
	// Output:
	// {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Sid":"CI","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ci-runner"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"a&b"}}}]}
	// 300 characters
	// malformed trust policy: Statement[0].Effect: must be "Allow" or "Deny", got "allow"
}

func ExampleCheck() {
	doc, _ := trustpolicy.Parse([]byte(ciRole))
	for _, f := range trustpolicy.Check(doc, trustpolicy.Rules{}) {
		fmt.Printf("%s (fixable %v): %s\n", f.Code, f.Code.Fixable(), f.Message)
	}
	// Output:
	// missing-set-source-identity (fixable true): statement 1 (Sid "CI") does not allow sts:SetSourceIdentity for AWS principal arn:aws:iam::111122223333:role/ci-runner, so it cannot pass a source identity
	// missing-source-identity-condition (fixable true): statement 1 (Sid "CI") lets AWS principal arn:aws:iam::111122223333:role/ci-runner assume the role without a source identity
}

func ExampleFix() {
	doc, _ := trustpolicy.Parse([]byte(ciRole))
	fixed, findings := trustpolicy.Fix(doc, trustpolicy.Rules{Patterns: []string{"*@example.com"}})
	out, _ := fixed.MarshalJSON()
	fmt.Println(string(out))
	fmt.Println(len(findings), "findings, fixed:", findings[0].Fixed && findings[1].Fixed)
	fmt.Println(doc.Size(), "->", fixed.Size(), "characters")

	again, _ := trustpolicy.Fix(fixed, trustpolicy.Rules{Patterns: []string{"*@example.com"}})
	fmt.Println("idempotent:", again == fixed)
	// Output:
	// {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Sid":"CI","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ci-runner"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"sts:ExternalId":"a&b"},"StringLike":{"sts:SourceIdentity":"*@example.com"}}}]}
	// 2 findings, fixed: true
	// 300 -> 378 characters
	// idempotent: true
}

func ExampleExplain() {
	doc, _ := trustpolicy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
	  "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],
	  "Condition":{"StringLikeIfExists":{"sts:SourceIdentity":"*"}}}]}`))
	for _, e := range trustpolicy.Explain(doc, trustpolicy.Rules{}) {
		fmt.Printf("%s (%s, %s) via statement %d: %s\n", e.Principal, e.Class, e.Mode, e.Statement, e.Reason)
	}
	// Output:
	// AWS:arn:aws:iam::111122223333:root (AWS account, require) via statement 0: condition uses StringLikeIfExists, which passes when the key is absent
}

func ExampleEvaluate() {
	doc, _ := trustpolicy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
	  "Principal":{"AWS":"arn:aws:iam::111122223333:role/ci"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],
	  "Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`))
	for _, ctx := range []map[string][]string{nil, {"sts:SourceIdentity": {"alice"}}} {
		res := trustpolicy.Evaluate(doc, trustpolicy.Request{
			Principal: "AWS:arn:aws:sts::111122223333:assumed-role/ci/build-42",
			Action:    "sts:AssumeRole",
			Context:   ctx,
		})
		fmt.Println(ctx, res.Decision)
	}
	// Output:
	// map[] implicit-deny
	// map[sts:SourceIdentity:[alice]] allow
}
