package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/callcount"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// The Python + boto3 remediation Lambda measured side by side under the same emulator and
// moto_server (the reference figures the project set as its targets).
var baseline = figures{
	init: 211 * time.Millisecond, first: 232 * time.Millisecond,
	warmRead: 6500 * time.Microsecond, warmPatch: 13800 * time.Microsecond, peakRSS: 48 << 20,
}

// Targets, as ratios to the baseline: init <= 1/40, first invoke <= 1/10, peak memory <= 1/2,
// warm invokes faster; the stripped arm64 bootstrap <= 10 MB.
const maxArm64Size = 10_000_000

// figures are one function's results (medians for latencies).
type figures struct {
	init, first, firstPatch, warmRead, warmPatch time.Duration
	// warm latencies minus the time spent waiting on moto: the function's own time
	warmReadOwn, warmPatchOwn time.Duration
	peakRSS                   int64
	readCalls, patchCalls     map[string]int
	callsVary                 bool // some event of a kind cost other calls than the first one
	samples                   map[string][]time.Duration
}

// function is something to run under the emulator.
type function struct {
	name      string
	bootstrap string
	env       []string
}

type bench struct {
	opts   options
	moto   *motoserver.Server
	calls  *callcount.Proxy
	iam    *iam.Client
	rie    string
	root   string
	seq    int
	events map[string][]byte // sample events by file name
}

// guardRoleARN is the function's own role (GUARD_ROLE_ARNS) in moto's account.
var guardRoleARN = "arn:aws:iam::" + motoserver.AccountID +
	":role/source-identity-guard/source-identity-guard/source-identity-guard-EnforceFunctionRole-BENCH"

func run(ctx context.Context, w io.Writer, opts options) error {
	b := &bench{opts: opts, events: map[string][]byte{}}
	var err error
	if b.root, err = lambdaemu.ModuleRoot(ctx); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "sidguard-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	progress("building the bootstrap for linux/%s (emulator) and linux/arm64 (make build-EnforceFunction) ...", runtime.GOARCH)
	boot, err := lambdaemu.Build(ctx, "./functions/enforce", filepath.Join(dir, "host"))
	if err != nil {
		return err
	}
	arm64Size, arm64How, err := b.arm64Size(ctx, filepath.Join(dir, "arm64"))
	if err != nil {
		return err
	}
	if b.rie, err = lambdaemu.EnsureRIE(ctx); err != nil {
		return fmt.Errorf("%w\n%s", err, lambdaemu.InstallHint)
	}
	for _, name := range []string{"create-role-service-principal.json", "create-role-aws-principal.json"} {
		data, err := os.ReadFile(filepath.Join(b.root, "events", name))
		if err != nil {
			return err
		}
		b.events[name] = []byte(strings.ReplaceAll(string(data), "111122223333", motoserver.AccountID))
	}

	if b.moto, err = motoserver.Run(ctx); err != nil {
		return fmt.Errorf("%w\n%s", err, motoserver.InstallHint)
	}
	defer b.moto.Stop()
	if b.calls, err = callcount.Start(b.moto.URL); err != nil {
		return err
	}
	defer b.calls.Close()
	cfg := b.moto.AWSConfig()
	b.iam = iam.NewFromConfig(cfg)
	if err := b.warmUpMoto(ctx, eventbridge.NewFromConfig(cfg)); err != nil {
		return err
	}

	progress("measuring the init floor: a minimal aws-lambda-go handler (shared/harness/lambdaemu/testdata/echo) ...")
	floorBoot, err := lambdaemu.Build(ctx, "./shared/harness/lambdaemu/testdata/echo", filepath.Join(dir, "floor"))
	if err != nil {
		return err
	}
	floor, err := b.initFloor(ctx, floorBoot)
	if err != nil {
		return err
	}

	env := append(b.moto.Env(), "AWS_ENDPOINT_URL="+b.calls.URL, "MODE=require",
		"GUARD_ROLE_ARNS="+guardRoleARN, "FINDINGS_BUS_NAME=default")
	fns := []function{{name: "Go bootstrap", bootstrap: boot, env: env}}
	pyNote := ""
	if opts.python {
		pyFn, err := pythonFunction(ctx, b.root, dir, env)
		if err != nil {
			pyNote = "not measured: " + err.Error()
		} else {
			fns = append(fns, pyFn)
		}
	} else {
		pyNote = "not measured (-python=false)"
	}
	names := make([]string, len(fns))
	for i, fn := range fns {
		names[i] = fn.name
	}
	progress("measuring %s, interleaved: %d cold starts per kind, %d warm invokes per kind ...",
		strings.Join(names, " and "), opts.cold, opts.warm)
	fs, err := b.measure(ctx, fns)
	if err != nil {
		return err
	}
	ours := fs[0]
	var py *figures
	if len(fs) > 1 {
		py = &fs[1]
	}

	report(w, opts, ours, py, pyNote, arm64Size, arm64How, floor)
	return nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// arm64Size builds the deployable bootstrap with the Makefile's target (what `sam build` runs)
// and returns its size.
func (b *bench) arm64Size(ctx context.Context, dir string) (int64, string, error) {
	how := "make build-EnforceFunction ARTIFACTS_DIR=<tmp>"
	var path string
	if mk, err := exec.LookPath("make"); err == nil {
		cmd := exec.CommandContext(ctx, mk, "-s", "build-EnforceFunction", "ARTIFACTS_DIR="+dir)
		cmd.Dir = b.root
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, "", fmt.Errorf("%s: %w\n%s", how, err, out)
		}
		path = filepath.Join(dir, "bootstrap")
	} else {
		how = "lambdaemu.BuildFor arm64 (make not found)"
		var err error
		if path, err = lambdaemu.BuildFor(ctx, "./functions/enforce", dir, "arm64"); err != nil {
			return 0, "", err
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, "", err
	}
	return st.Size(), how, nil
}

// warmUpMoto makes one call of each kind first: moto loads a service's backend on its first call
// (hundreds of ms), which would otherwise land in the first measured invoke.
func (b *bench) warmUpMoto(ctx context.Context, eb *eventbridge.Client) error {
	name, err := b.role(ctx, true)
	if err != nil {
		return err
	}
	if _, err := b.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); err != nil {
		return fmt.Errorf("warm up moto: %w", err)
	}
	if _, err := b.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String(name), PolicyDocument: aws.String(servicePolicy),
	}); err != nil {
		return fmt.Errorf("warm up moto: %w", err)
	}
	if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("bench.warm-up"), DetailType: aws.String("Warm Up"), Detail: aws.String("{}"),
	}}}); err != nil {
		return fmt.Errorf("warm up moto: %w", err)
	}
	return nil
}

const (
	servicePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	awsPolicy     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
)

// role creates a role: compliant (a service role) or not (a cross-account AWS principal).
func (b *bench) role(ctx context.Context, compliant bool) (string, error) {
	b.seq++
	name := fmt.Sprintf("bench-%d", b.seq)
	doc := awsPolicy
	if compliant {
		doc = servicePolicy
	}
	if _, err := b.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc)}); err != nil {
		return "", fmt.Errorf("create role %q: %w", name, err)
	}
	return name, nil
}

// event returns a sample CloudTrail event about role.
func (b *bench) event(sample, role string) ([]byte, error) {
	var ev map[string]any
	if err := json.Unmarshal(b.events[sample], &ev); err != nil {
		return nil, fmt.Errorf("events/%s: %w", sample, err)
	}
	detail, _ := ev["detail"].(map[string]any)
	params, _ := detail["requestParameters"].(map[string]any)
	if params == nil {
		return nil, fmt.Errorf("events/%s: no requestParameters", sample)
	}
	params["roleName"] = role
	delete(detail, "responseElements")
	return json.Marshal(ev)
}

// invocation is one measured invoke.
type invocation struct {
	latency time.Duration
	aws     time.Duration // of which waiting on AWS (moto) calls, as the proxy saw it
	calls   map[string]int
}

func (b *bench) invoke(ctx context.Context, emu *lambdaemu.Emulator, compliant bool) (invocation, error) {
	name, err := b.role(ctx, compliant)
	if err != nil {
		return invocation{}, err
	}
	return b.invokeFor(ctx, emu, name, compliant)
}

func (b *bench) invokeFor(ctx context.Context, emu *lambdaemu.Emulator, name string, compliant bool) (invocation, error) {
	sample, want := "create-role-aws-principal.json", "patched"
	if compliant {
		sample, want = "create-role-service-principal.json", "compliant"
	}
	ev, err := b.event(sample, name)
	if err != nil {
		return invocation{}, err
	}
	b.calls.Reset()
	inv, err := emu.Invoke(ctx, ev)
	if err != nil {
		return invocation{}, err
	}
	aws := b.calls.Elapsed()
	calls := b.calls.Reset()
	if f := inv.Failure(); f != "" {
		return invocation{}, fmt.Errorf("invoke for %q failed: %s\n%s", name, f, tail(emu.Output(), 3000))
	}
	var out struct{ Decision string }
	if err := json.Unmarshal(inv.Payload, &out); err != nil || out.Decision != want {
		return invocation{}, fmt.Errorf("invoke for %q answered %s; want decision %q", name, inv.Payload, want)
	}
	return invocation{latency: inv.Latency, aws: aws, calls: calls}, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func (b *bench) start(ctx context.Context, fn function) (*lambdaemu.Emulator, error) {
	return lambdaemu.Run(ctx, lambdaemu.Config{Bootstrap: fn.bootstrap, RIE: b.rie, Env: fn.env, FunctionName: "bench"})
}

// measure runs the functions side by side, interleaved so that they see the same load on the
// machine: cold starts with a read-only and with a patching first event, then warm read-only and
// patching invokes in one execution environment each, then each one's peak RSS.
func (b *bench) measure(ctx context.Context, fns []function) ([]figures, error) {
	fs := make([]figures, len(fns))
	readCalls := make([][]map[string]int, len(fns))
	patchCalls := make([][]map[string]int, len(fns))
	for i := range fs {
		fs[i].samples = map[string][]time.Duration{}
	}
	for range b.opts.cold {
		for _, compliant := range []bool{true, false} {
			for i, fn := range fns {
				emu, err := b.start(ctx, fn)
				if err != nil {
					return nil, err
				}
				inv, err := b.invoke(ctx, emu, compliant)
				inits := emu.InitDurations()
				emu.Stop()
				if err != nil {
					return nil, fmt.Errorf("%s: %w", fn.name, err)
				}
				if len(inits) != 1 {
					return nil, fmt.Errorf("%s: %d INIT REPORT lines after one cold invoke; want 1", fn.name, len(inits))
				}
				if compliant {
					fs[i].samples["init"] = append(fs[i].samples["init"], inits[0])
					fs[i].samples["first"] = append(fs[i].samples["first"], inv.latency)
					readCalls[i] = append(readCalls[i], inv.calls)
				} else {
					fs[i].samples["firstPatch"] = append(fs[i].samples["firstPatch"], inv.latency)
					patchCalls[i] = append(patchCalls[i], inv.calls)
				}
			}
		}
	}

	emus := make([]*lambdaemu.Emulator, len(fns))
	readRoles := make([]string, len(fns))
	for i, fn := range fns {
		emu, err := b.start(ctx, fn)
		if err != nil {
			return nil, err
		}
		defer emu.Stop()
		emus[i] = emu
		if _, err := b.invoke(ctx, emu, true); err != nil { // the cold start, not counted here
			return nil, fmt.Errorf("%s: %w", fn.name, err)
		}
		if readRoles[i], err = b.role(ctx, true); err != nil {
			return nil, err
		}
	}
	for range b.opts.warm {
		for i, fn := range fns {
			inv, err := b.invokeFor(ctx, emus[i], readRoles[i], true)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", fn.name, err)
			}
			fs[i].samples["warmRead"] = append(fs[i].samples["warmRead"], inv.latency)
			fs[i].samples["warmReadOwn"] = append(fs[i].samples["warmReadOwn"], inv.latency-inv.aws)
			readCalls[i] = append(readCalls[i], inv.calls)

			inv, err = b.invoke(ctx, emus[i], false)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", fn.name, err)
			}
			fs[i].samples["warmPatch"] = append(fs[i].samples["warmPatch"], inv.latency)
			fs[i].samples["warmPatchOwn"] = append(fs[i].samples["warmPatchOwn"], inv.latency-inv.aws)
			patchCalls[i] = append(patchCalls[i], inv.calls)
		}
	}
	for i := range fns {
		f := &fs[i]
		var err error
		if f.peakRSS, err = emus[i].PeakRSS(); err != nil {
			return nil, err
		}
		f.init, f.first, f.firstPatch = median(f.samples["init"]), median(f.samples["first"]), median(f.samples["firstPatch"])
		f.warmRead, f.warmPatch = median(f.samples["warmRead"]), median(f.samples["warmPatch"])
		f.warmReadOwn, f.warmPatchOwn = median(f.samples["warmReadOwn"]), median(f.samples["warmPatchOwn"])
		f.readCalls, f.patchCalls = readCalls[i][0], patchCalls[i][0]
		for _, c := range readCalls[i] {
			f.callsVary = f.callsVary || callcount.Format(c) != callcount.Format(f.readCalls)
		}
		for _, c := range patchCalls[i] {
			f.callsVary = f.callsVary || callcount.Format(c) != callcount.Format(f.patchCalls)
		}
	}
	return fs, nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func spread(ds []time.Duration) (lo, hi time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	return slices.Min(ds), slices.Max(ds)
}

// pythonFunction prepares the Python + boto3 baseline as a bootstrap the emulator can exec:
// the interpreter itself (not a pyenv shim script) runs baseline/remediate.py.
func pythonFunction(ctx context.Context, root, dir string, env []string) (function, error) {
	py, err := exec.LookPath("python3")
	if err != nil {
		return function{}, fmt.Errorf("python3 not on PATH")
	}
	out, err := exec.CommandContext(ctx, py, "-c", "import sys, boto3; print(sys.executable)").Output()
	if err != nil {
		return function{}, fmt.Errorf("python3 cannot import boto3")
	}
	interpreter := strings.TrimSpace(string(out))
	src, err := os.ReadFile(filepath.Join(root, "cmd", "bench", "baseline", "remediate.py"))
	if err != nil {
		return function{}, err
	}
	boot := filepath.Join(dir, "python", "bootstrap")
	if err := os.MkdirAll(filepath.Dir(boot), 0o755); err != nil {
		return function{}, err
	}
	if err := os.WriteFile(boot, append([]byte("#!"+interpreter+"\n"), src...), 0o755); err != nil {
		return function{}, err
	}
	// botocore reads an empty AWS_PROFILE as a profile named "": drop empty settings.
	var pyEnv []string
	for _, kv := range env {
		if !strings.HasSuffix(kv, "=") {
			pyEnv = append(pyEnv, kv)
		}
	}
	return function{name: "Python + boto3 (" + filepath.Base(interpreter) + ", minimal runtime loop)", bootstrap: boot, env: pyEnv}, nil
}

// initFloor returns the INIT REPORT durations of a minimal handler (no SDK, no settings): what
// process start and the aws-lambda-go runtime cost on this machine, the floor for any Go function.
func (b *bench) initFloor(ctx context.Context, boot string) ([]time.Duration, error) {
	var ds []time.Duration
	for range b.opts.cold {
		emu, err := b.start(ctx, function{name: "echo", bootstrap: boot})
		if err != nil {
			return nil, err
		}
		inv, err := emu.Invoke(ctx, []byte(`{}`))
		inits := emu.InitDurations()
		emu.Stop()
		if err != nil {
			return nil, err
		}
		if f := inv.Failure(); f != "" || len(inits) != 1 {
			return nil, fmt.Errorf("init floor: invoke failed (%s) or %d INIT REPORT lines", f, len(inits))
		}
		ds = append(ds, inits[0])
	}
	return ds, nil
}
