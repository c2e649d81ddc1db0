package accountroles_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/source-identity-guard/source-identity-guard/shared/accountroles"
)

// stubSTS answers every AssumeRole with one-hour credentials and counts the calls.
type stubSTS struct{ calls int }

func (s *stubSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	s.calls++
	exp := time.Now().Add(time.Hour)
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIAEXAMPLE"),
		SecretAccessKey: aws.String("secret"), SessionToken: aws.String("token"), Expiration: &exp}}, nil
}

// A hub's Set: the own account's client as is, a member's through the member role, assumed once.
func Example() {
	stub := &stubSTS{}
	set, err := accountroles.New(accountroles.Config{Own: "111122223333", RoleName: "source-identity-guard/member", STS: stub},
		"hub client", func(account string, _ aws.CredentialsProvider) string { return "client of " + account })
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	own, _ := set.For(ctx, "111122223333")
	for range 3 {
		_, _ = set.For(ctx, "444455556666")
	}
	member, _ := set.For(ctx, "444455556666")
	_, err = set.For(ctx, "not-an-account")
	fmt.Println(own)
	fmt.Println(member, "- AssumeRole calls:", stub.calls)
	fmt.Println(set.RoleARN("444455556666"))
	fmt.Println(errors.Is(err, accountroles.ErrInvalidAccount), err)
	// Output:
	// hub client
	// client of 444455556666 - AssumeRole calls: 1
	// arn:aws:iam::444455556666:role/source-identity-guard/member
	// true account not-an-account: not a 12-digit account id
}
