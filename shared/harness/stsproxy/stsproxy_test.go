package stsproxy

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

func TestRecordAndDeny(t *testing.T) {
	srv := motoserver.Shared(t)
	p, err := Start(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	cfg := srv.AWSConfig()
	cfg.BaseEndpoint = aws.String(p.URL)
	c := sts.NewFromConfig(cfg)
	p.Deny("333333333333")
	for _, acct := range []string{"222222222222", "333333333333"} {
		_, err := c.AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/p/m"),
			RoleSessionName: aws.String("sg"), SourceIdentity: aws.String("si")})
		var ae smithy.APIError
		if denied := errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied"; denied != (acct == "333333333333") {
			t.Errorf("%s: err %v", acct, err)
		}
	}
	want := []Call{{"arn:aws:iam::222222222222:role/p/m", "si", "sg", false}, {"arn:aws:iam::333333333333:role/p/m", "si", "sg", true}}
	if diff := cmp.Diff(want, p.Calls()); diff != "" {
		t.Error(diff)
	}
	// Other calls pass through untouched.
	if _, err := c.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Error(err)
	}
}
