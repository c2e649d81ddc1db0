package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/estate"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/lease"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
)

// TestBootstrapUnderEmulator runs the function the way outside checks do: the real bootstrap
// under the Lambda Runtime Interface Emulator with SWEEP_MODE, FINDINGS_BUS_NAME and
// AWS_ENDPOINT_URL only, invoked with a Scheduled Event (testdata/scheduled-event.json); then reads the roles back.
func TestBootstrapUnderEmulator(t *testing.T) {
	srv := motoserver.Shared(t)
	cfg := srv.AWSConfig()
	const n = 60
	plan := createEstate(t, cfg, n)
	createBus(t, cfg)
	before := trustPolicies(t, cfg)

	boot := lambdaemu.BuildFunction(t, "./functions/sweep")
	emu := lambdaemu.Start(t, lambdaemu.Config{
		Bootstrap:    boot,
		FunctionName: "sweep",
		Env:          append(srv.Env(), "SWEEP_MODE=require", "FINDINGS_BUS_NAME="+bus),
	})
	inv := invokeScheduled(t, emu)
	var sum struct {
		Completed  bool                   `json:"completed"`
		Counts     map[guard.Decision]int `json:"counts"`
		DurationMS *int64                 `json:"durationMs"`
		APICalls   map[string]int         `json:"apiCalls"`
		Roles      int                    `json:"roles"`
	}
	if err := json.Unmarshal(inv.Payload, &sum); err != nil {
		t.Fatalf("summary %s: %v", inv.Payload, err)
	}
	// No EXEMPT_ROLE_PATTERNS here: the legacy roles are patched like any other; role tags are
	// not protected (TRUST_ROLE_TAGS unset) and no path is exempt, so the tagged and the
	// service-linked-path roles are patched too.
	if !sum.Completed || sum.Roles != n || sum.DurationMS == nil || sum.APICalls["IAM.ListRoles"] != 1 {
		t.Errorf("summary = %s", inv.Payload)
	}
	patchedKinds := map[string]bool{"open": true, "mixed": true, "mode-allow": true, "legacy": true,
		"exempt-tag": true, "AWSReservedSSO_Admin": true, "AWSServiceRoleFor": true}
	want := 0
	for i, k := range estate.Kinds {
		if patchedKinds[k.Name] {
			want += plan[i]
		}
	}
	if sum.Counts[guard.Patched] != want {
		t.Errorf("patched = %d; want %d (counts %v)", sum.Counts[guard.Patched], want, sum.Counts)
	}
	after := trustPolicies(t, cfg)
	for name, doc := range after {
		k, _ := estate.KindOf(name)
		if changed := doc != before[name]; changed != patchedKinds[k.Name] {
			t.Errorf("role %s (%s) changed = %v", name, k.Name, changed)
		}
	}
}

// TestBootstrapRefusesAForgedPositionUnderEmulator is bypass 5 through the real bootstrap under
// the Lambda emulator, with the stack's KMS key and lease table in moto: a position written by
// someone else (past every role) is rejected, every role is judged, the run reports the restart.
func TestBootstrapRefusesAForgedPositionUnderEmulator(t *testing.T) {
	srv := motoserver.Shared(t)
	cfg := srv.AWSConfig()
	const n = 12
	createEstate(t, cfg, n)
	createBus(t, cfg)
	keyID, table := sweepKeyAndLock(t, cfg)
	param := "/test/rie-forged-position"
	if _, err := ssm.NewFromConfig(cfg).PutParameter(t.Context(), &ssm.PutParameterInput{Name: aws.String(param),
		Value: aws.String(`{"after":"zzzz"}`), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	boot := lambdaemu.BuildFunction(t, "./functions/sweep")
	emu := lambdaemu.Start(t, lambdaemu.Config{
		Bootstrap:    boot,
		FunctionName: "sweep",
		Env: append(srv.Env(), "SWEEP_MODE=audit", "FINDINGS_BUS_NAME="+bus, "SWEEP_POSITION_PARAMETER="+param,
			EnvPositionKey+"="+keyID, EnvLockTable+"="+table),
	})
	inv := invokeScheduled(t, emu)
	var sum sweep.Summary
	if err := json.Unmarshal(inv.Payload, &sum); err != nil {
		t.Fatalf("summary %s: %v", inv.Payload, err)
	}
	if sum.Roles != n || !sum.Restarted || !sum.CompletePass {
		t.Errorf("roles %d restarted %v (%q) complete pass %v; want every role judged after rejecting the position",
			sum.Roles, sum.Restarted, sum.RestartReason, sum.CompletePass)
	}
	if sum.APICalls["KMS.GenerateMac"] != 1 || sum.APICalls["DynamoDB.PutItem"] != 1 {
		t.Errorf("calls %v; want one GenerateMac (the saved position) and the lease taken", sum.APICalls)
	}
	// The lease was given back (after the summary was counted): another run can take it.
	if ok, err := lease.New(dynamodb.NewFromConfig(cfg), table, "sweep").Acquire(t.Context(), "next", time.Minute); !ok || err != nil {
		t.Errorf("lease after the run: %v %v; want it free", ok, err)
	}
}

// invokeScheduled invokes the function under the emulator with testdata/scheduled-event.json.
func invokeScheduled(t *testing.T, emu *lambdaemu.Emulator) lambdaemu.Invocation {
	t.Helper()
	event, err := os.ReadFile(filepath.Join("testdata", "scheduled-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := emu.Invoke(t.Context(), event)
	if err != nil {
		t.Fatal(err)
	}
	if f := inv.Failure(); f != "" {
		t.Fatalf("invoke: %s", f)
	}
	return inv
}
