package guard_test

import (
	"fmt"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

func ExamplePolicy_Decide() {
	p := guard.Policy{Mode: guard.ModeRequire, ExemptRolePatterns: []string{"/vendor/*"}}
	for _, r := range []iamrole.Role{
		{Name: "AWSServiceRoleForECS", Path: "/aws-service-role/ecs.amazonaws.com/"},
		{Name: "aws-controltower-AuditReadOnlyRole", Path: "/"},
		{Name: "datadog", Path: "/vendor/"},
		{Name: "app", Path: "/", TrustPolicy: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`),
			Tags: map[string]string{guard.TagExempt: "migrating in Q3"}},
	} {
		v := p.Decide(r)
		fmt.Printf("%s: %s (%s)\n", r.Name, v.Decision, v.Reason)
	}
	// Output:
	// AWSServiceRoleForECS: exempt (service-linked role (path /aws-service-role/))
	// aws-controltower-AuditReadOnlyRole: exempt (AWS Control Tower role)
	// datadog: exempt (matches exempt role pattern "/vendor/*")
	// app: exempt (tag source-identity-guard:exempt: migrating in Q3)
}

func ExampleMatch() {
	fmt.Println(guard.Match("aws-controltower-*", "aws-controltower-AuditRole"))
	fmt.Println(guard.Match("/vendor/*", "/vendor/datadog"))
	fmt.Println(guard.Match("*AWSControlTower*", "awscontroltowerexecution"))
	// Output:
	// true
	// true
	// false
}
