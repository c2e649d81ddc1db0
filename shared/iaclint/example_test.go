package iaclint_test

import (
	"fmt"

	"github.com/source-identity-guard/source-identity-guard/shared/iaclint"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

func ExampleCheck() {
	template := `Resources:
  Deployer:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: !GetAtt Builder.Arn}
            Action: sts:AssumeRole
`
	_, roles, _ := iaclint.Find("template.yaml", []byte(template))
	for _, role := range roles {
		r := iaclint.Check(role, trustpolicy.Rules{})
		fmt.Printf("%s:%d %s compliant=%v\n", r.File, r.Line, r.Resource, r.Compliant)
		for _, f := range r.Findings {
			fmt.Println(" ", f.Code)
		}
		fmt.Println(" ", string(r.FixedPolicy))
	}
	// Output:
	// template.yaml:5 Deployer compliant=false
	//   missing-set-source-identity
	//   missing-source-identity-condition
	//   {"Statement":[{"Effect":"Allow","Principal":{"AWS":{"Fn::GetAtt":["Builder","Arn"]}},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}
}
