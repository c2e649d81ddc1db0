package iamrole_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

// exampleIAM answers GetRole like IAM: the document URL-encoded, tags included.
type exampleIAM struct{ iamrole.API }

func (exampleIAM) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	if aws.ToString(in.RoleName) != "deploy" {
		return nil, &types.NoSuchEntityException{Message: aws.String("The role with name " + aws.ToString(in.RoleName) + " cannot be found.")}
	}
	return &iam.GetRoleOutput{Role: &types.Role{
		RoleName: aws.String("deploy"), Path: aws.String("/"), RoleId: aws.String("AROAEXAMPLE"),
		Arn:                      aws.String("arn:aws:iam::111122223333:role/deploy"),
		AssumeRolePolicyDocument: aws.String("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"),
		Tags:                     []types.Tag{{Key: aws.String("source-identity-guard:mode"), Value: aws.String("allow")}},
	}}, nil
}

func ExampleClient_Get() {
	roles := iamrole.New(exampleIAM{}, iamrole.WithNotFoundDelays()) // no wait: this is an example
	ctx := context.Background()

	r, err := roles.Get(ctx, "deploy")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.ARN)
	fmt.Println(string(r.TrustPolicy))
	fmt.Println(r.Tags)

	_, err = roles.Get(ctx, "gone")
	fmt.Println(err)
	fmt.Println(errors.Is(err, iamrole.ErrNotFound), iamrole.Retryable(err))
	// Output:
	// arn:aws:iam::111122223333:role/deploy
	// {"Version":"2012-10-17","Statement":[]}
	// map[source-identity-guard:mode:allow]
	// get role "gone": role not found: The role with name gone cannot be found.
	// true false
}

func ExampleDecodePolicy() {
	doc, err := iamrole.DecodePolicy("%7B%22sts%3ASourceIdentity%22%3A%22a%2Bb%2520c%20%C3%A9%22%7D")
	fmt.Println(string(doc), err)
	// Output: {"sts:SourceIdentity":"a+b%20c é"} <nil>
}
