package motoserver_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

func TestMain(m *testing.M) { os.Exit(motoserver.RunTests(m)) }

func TestSharedResetsState(t *testing.T) {
	srv := motoserver.Shared(t)
	ctx := t.Context()
	client := iam.NewFromConfig(srv.AWSConfig())
	_, err := client.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("before-reset"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}

	again := motoserver.Shared(t)
	if again != srv {
		t.Fatalf("Shared returned a new server %s; want the shared %s", again.URL, srv.URL)
	}
	out, err := client.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatalf("ListRoles: %v", err)
	}
	if len(out.Roles) != 0 {
		t.Errorf("ListRoles after Shared = %d roles; want 0 (state wiped)", len(out.Roles))
	}
}

func TestAWSConfigUsesEmulator(t *testing.T) {
	// Real-looking credentials in the environment must not be picked up.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	srv := motoserver.Shared(t)
	out, err := sts.NewFromConfig(srv.AWSConfig()).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if got := aws.ToString(out.Account); got != motoserver.AccountID {
		t.Errorf("GetCallerIdentity account = %q; want moto's %q", got, motoserver.AccountID)
	}
}

func TestRunStopLeavesNoProcess(t *testing.T) {
	motoserver.Require(t)
	srv, err := motoserver.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	pid := srv.PID()
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	// The process group must be gone: signal 0 probes for any member.
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(-pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still alive after Stop", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := srv.Reset(); err == nil {
		t.Errorf("Reset after Stop succeeded; want a connection error")
	}
}

func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	motoserver.Require(t)
	srv, err := motoserver.Run(ctx)
	if err == nil {
		srv.Stop()
		t.Fatal("Run with a canceled context succeeded; want an error")
	}
}

func TestEnv(t *testing.T) {
	srv := &motoserver.Server{URL: "http://127.0.0.1:5000"}
	env := map[string]bool{}
	for _, kv := range srv.Env() {
		env[kv] = true
	}
	for _, want := range []string{"AWS_ENDPOINT_URL=http://127.0.0.1:5000", "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test"} {
		if !env[want] {
			t.Errorf("Env() lacks %q: %v", want, srv.Env())
		}
	}
}
