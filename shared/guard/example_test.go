package guard_test

import (
	"fmt"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

func ExamplePolicy_Decide() {
	const mgmt = "999988887777"
	p := guard.Policy{Mode: guard.ModeRequire, ExemptRolePatterns: []string{"/vendor/*"}, ManagementAccount: mgmt}
	outsider := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`)
	management := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + mgmt + `:root"},"Action":"sts:AssumeRole"}]}`)
	for _, r := range []iamrole.Role{
		{Name: "OrganizationAccountAccessRole", Path: "/", TrustPolicy: management},
		{Name: "stacksets-exec-x", Path: "/evil/", TrustPolicy: outsider, Tags: map[string]string{}},
		{Name: "datadog", Path: "/vendor/"},
		{Name: "app", Path: "/", TrustPolicy: outsider, Tags: map[string]string{guard.TagExempt: "migrating in Q3"}},
	} {
		v := p.Decide(r)
		fmt.Printf("%s: %s (%s)\n", r.Name, v.Decision, v.Reason)
	}
	// Output:
	// OrganizationAccountAccessRole: exempt (Organizations access role trusting only the management account 999988887777)
	// stacksets-exec-x: patched (trust policy patched to require a source identity (named like the StackSets execution role (service-managed) but on path /evil/, not /: judged like any other role))
	// datadog: exempt (matches exempt role pattern "/vendor/*")
	// app: patched (trust policy patched to require a source identity (tag source-identity-guard:exempt ignored: role tags are not protected, see ProtectedTags))
}
