package sweep

import (
	"context"
	"fmt"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/estate"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

// A dry run (sidguard scan without --fix) over three roles: one page, the role that is not
// compliant read again (GetRole) before it is judged, nothing written. No path is exempt: the
// role on the service-linked path is judged like any other.
func ExampleSweeper_Run() {
	roles := newFake(1000,
		iamrole.Role{Name: "ci-deployer", Path: "/", ARN: "arn:aws:iam::123456789012:role/ci-deployer", TrustPolicy: []byte(estate.PolicyOpen)},
		iamrole.Role{Name: "app", Path: "/", ARN: "arn:aws:iam::123456789012:role/app", TrustPolicy: []byte(estate.PolicyCompliant)},
		iamrole.Role{Name: "AWSServiceRoleForSupport", Path: "/aws-service-role/support.amazonaws.com/",
			ARN: "arn:aws:iam::123456789012:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport", TrustPolicy: []byte(estate.PolicyOpen)},
	)
	s := &Sweeper{Roles: roles, Policy: guard.Policy{Mode: guard.ModeRequire}, DryRun: true}
	sum, err := s.Run(context.Background(), Position{}, func(r Result) {
		fmt.Printf("%-24s %s\n", r.Role.Name, r.Verdict.Decision)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("completed=%v roles=%d compliance=%.2f calls=%v\n", sum.Completed, sum.Roles, sum.ComplianceRatio, roles.calls)
	// Output:
	// ci-deployer              would-patch
	// app                      compliant
	// AWSServiceRoleForSupport would-patch
	// completed=true roles=3 compliance=0.33 calls=map[GetRole:2 ListRoles:1]
}
