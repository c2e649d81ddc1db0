package callrecord_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/callrecord"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

func TestRecordsAssumeRoleParameters(t *testing.T) {
	srv := motoserver.Start(t)
	p, err := callrecord.Start(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	cfg := srv.AWSConfig()
	cfg.BaseEndpoint = aws.String(p.URL)
	client := sts.NewFromConfig(cfg)
	ctx := context.Background()
	if _, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		RoleSessionName: aws.String("alice"), SourceIdentity: aws.String("alice@example.com")}); err != nil {
		t.Fatalf("AssumeRole through the recorder: %v", err)
	}
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity through the recorder: %v", err)
	}
	calls := p.Calls("sts.AssumeRole")
	if len(calls) != 1 {
		t.Fatalf("Calls(sts.AssumeRole) = %d calls; want 1 (all: %v)", len(calls), p.Calls(""))
	}
	if got := calls[0].Params.Get("SourceIdentity"); got != "alice@example.com" {
		t.Errorf("SourceIdentity = %q; want alice@example.com", got)
	}
	if calls[0].Status != 200 {
		t.Errorf("Status = %d; want 200", calls[0].Status)
	}
	if n := len(p.Calls("")); n != 2 {
		t.Errorf("Calls(\"\") = %d; want 2", n)
	}
	p.Reset()
	if n := len(p.Calls("")); n != 0 {
		t.Errorf("after Reset, %d calls; want 0", n)
	}
}

func TestAnswer(t *testing.T) {
	srv := motoserver.Start(t)
	p, err := callrecord.Start(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	cfg := srv.AWSConfig()
	cfg.BaseEndpoint = aws.String(p.URL)
	client := sts.NewFromConfig(cfg)
	in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), RoleSessionName: aws.String("alice")}
	p.Answer("sts.AssumeRole", 403, callrecord.STSError("AccessDenied", "not authorized to perform: sts:SetSourceIdentity"))
	_, err = client.AssumeRole(context.Background(), in)
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" || api.ErrorMessage() != "not authorized to perform: sts:SetSourceIdentity" {
		t.Fatalf("AssumeRole with a canned answer: %v; want AccessDenied", err)
	}
	p.Answer("sts.AssumeRole", 0, "")
	if _, err := client.AssumeRole(context.Background(), in); err != nil {
		t.Fatalf("AssumeRole forwarded again: %v", err)
	}
	if calls := p.Calls("sts.AssumeRole"); len(calls) != 2 || calls[0].Status != 403 || calls[1].Status != 200 {
		t.Errorf("calls = %+v; want a 403 then a 200", calls)
	}
}

func TestStartRejectsABadTarget(t *testing.T) {
	if _, err := callrecord.Start("::"); err == nil {
		t.Error("Start(\"::\") = nil error; want one")
	}
}
