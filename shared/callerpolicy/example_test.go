package callerpolicy_test

import (
	"fmt"

	"github.com/source-identity-guard/source-identity-guard/shared/callerpolicy"
)

func ExampleCheck() {
	p, _ := callerpolicy.Parse([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"arn:aws:iam::111122223333:role/deployer"}]}`))
	v := callerpolicy.Check(p, callerpolicy.HolderUser, nil)
	fmt.Println("can set:", v.CanSet, "bound:", v.Bound, "other value:", v.Roles[0].OtherValue)

	fixed, _ := callerpolicy.Generate(callerpolicy.Spec{Roles: []string{"arn:aws:iam::111122223333:role/deployer"}, Holder: callerpolicy.HolderUser})
	p, _ = callerpolicy.Parse(fixed)
	v = callerpolicy.Check(p, callerpolicy.HolderUser, nil)
	fmt.Println("can set:", v.CanSet, "bound:", v.Bound)
	// Output:
	// can set: true bound: false other value: mallory
	// can set: true bound: true
}
