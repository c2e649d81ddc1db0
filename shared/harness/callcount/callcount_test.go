package callcount_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/callcount"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

func TestCountsCallsByServiceAndOperation(t *testing.T) {
	srv := motoserver.Start(t)
	p, err := callcount.Start(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })

	cfg := srv.AWSConfig()
	cfg.BaseEndpoint = aws.String(p.URL)
	ctx := context.Background()
	iamc := iam.NewFromConfig(cfg)
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("r"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	}); err != nil {
		t.Fatalf("CreateRole through the proxy: %v", err)
	}
	for range 2 {
		if _, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); err != nil {
			t.Fatalf("GetRole through the proxy: %v", err)
		}
	}
	if _, err := eventbridge.NewFromConfig(cfg).PutEvents(ctx, &eventbridge.PutEventsInput{
		Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String("{}")}},
	}); err != nil {
		t.Fatalf("PutEvents through the proxy: %v", err)
	}

	want := map[string]int{"iam.CreateRole": 1, "iam.GetRole": 2, "events.PutEvents": 1}
	if p.Elapsed() <= 0 {
		t.Errorf("Elapsed() = %v after 4 calls; want > 0", p.Elapsed())
	}
	if diff := cmp.Diff(want, p.Reset()); diff != "" {
		t.Errorf("Reset() counts (-want +got):\n%s", diff)
	}
	if got := p.Counts(); len(got) != 0 || p.Elapsed() != 0 {
		t.Errorf("Counts() and Elapsed() after Reset = %v, %v; want none, 0", got, p.Elapsed())
	}
	if got, want := callcount.Format(want), "events.PutEvents=1 iam.CreateRole=1 iam.GetRole=2"; got != want {
		t.Errorf("Format = %q; want %q", got, want)
	}
}

func TestStartRejectsABadTarget(t *testing.T) {
	if _, err := callcount.Start("not a url"); err == nil {
		t.Error(`Start("not a url") = nil error; want one`)
	}
}
