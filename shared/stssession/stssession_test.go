package stssession

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/source-identity-guard/source-identity-guard/shared/credprocess"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		op   string
		err  error
		want error
	}{
		{"AssumeRole", &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/x"}, credprocess.ErrRoleNotAssumable},
		{"AssumeRole", &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:SetSourceIdentity on resource: arn:aws:iam::111122223333:role/x"}, credprocess.ErrSourceIdentityRefused},
		{"AssumeRole", &smithy.GenericAPIError{Code: "ValidationError", Message: "1 validation error detected: Value 'a' at 'sourceIdentity' failed to satisfy constraint"}, credprocess.ErrSourceIdentityRefused},
		{"GetCallerIdentity", &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}, credprocess.ErrNoBaseCredentials},
		{"AssumeRole", &smithy.GenericAPIError{Code: "ExpiredToken", Message: "The security token included in the request is expired"}, credprocess.ErrNoBaseCredentials},
		{"GetCallerIdentity", errors.New("operation error STS: GetCallerIdentity, failed to retrieve credentials: no EC2 IMDS role found"), credprocess.ErrNoBaseCredentials},
	}
	for _, tt := range tests {
		got := classify(tt.op, "arn:aws:iam::111122223333:role/x", tt.err)
		if !errors.Is(got, tt.want) {
			t.Errorf("classify(%s, %v) = %v; want it to wrap %v", tt.op, tt.err, got, tt.want)
		}
	}
}

type fakeAPI struct {
	in  *sts.AssumeRoleInput
	out *sts.AssumeRoleOutput
}

func (f *fakeAPI) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Arn: aws.String("arn:aws:iam::111122223333:user/alice")}, nil
}

func (f *fakeAPI) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.in = in
	return f.out, nil
}

func TestAssumeRoleSendsTheInput(t *testing.T) {
	exp := time.Now().Add(time.Hour)
	f := &fakeAPI{out: &sts.AssumeRoleOutput{SourceIdentity: aws.String("alice"), Credentials: &types.Credentials{
		AccessKeyId: aws.String("ASIA1"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: &exp}}}
	c := New(f)
	cr, err := c.AssumeRole(context.Background(), credprocess.AssumeInput{RoleARN: "arn:aws:iam::111122223333:role/x",
		SessionName: "alice", SourceIdentity: "alice", ExternalID: "e", Duration: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(f.in.SourceIdentity) != "alice" || aws.ToString(f.in.ExternalId) != "e" || aws.ToInt32(f.in.DurationSeconds) != 7200 || aws.ToString(f.in.RoleSessionName) != "alice" {
		t.Errorf("AssumeRoleInput = %+v", f.in)
	}
	if cr.SourceIdentity != "alice" || cr.AccessKeyID != "ASIA1" || !cr.Expiration.Equal(exp) || cr.Issued.IsZero() {
		t.Errorf("credentials = %v", cr)
	}
	if _, err := c.AssumeRole(context.Background(), credprocess.AssumeInput{RoleARN: "arn:aws:iam::111122223333:role/x", SessionName: "alice"}); err != nil {
		t.Fatal(err)
	}
	if f.in.SourceIdentity != nil || f.in.ExternalId != nil || f.in.DurationSeconds != nil {
		t.Errorf("empty fields were sent: %+v", f.in)
	}
	f.out = &sts.AssumeRoleOutput{}
	if _, err := c.AssumeRole(context.Background(), credprocess.AssumeInput{RoleARN: "arn:aws:iam::111122223333:role/x", SessionName: "alice"}); err == nil {
		t.Error("an answer without credentials: no error")
	}
}
