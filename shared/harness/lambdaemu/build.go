package lambdaemu

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// BuildFlags are the flags of the template's build-<Function> targets (see the Makefile):
// no RPC code path (provided.al2023), stripped, reproducible paths.
var BuildFlags = []string{"-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w"}

// Build compiles the Go package pkg (a path like "./functions/enforce", relative to the module
// root, or an import path) into dir/bootstrap for linux on the host architecture, with
// CGO_ENABLED=0 and BuildFlags, and returns the binary's path.
func Build(ctx context.Context, pkg, dir string) (string, error) {
	return BuildFor(ctx, pkg, dir, runtime.GOARCH)
}

// BuildFor is Build for another architecture (e.g. "arm64", what the template deploys).
func BuildFor(ctx context.Context, pkg, dir, goarch string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	out, err := filepath.Abs(filepath.Join(dir, "bootstrap"))
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, goCommand(), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s for linux/%s: %w\n%s", pkg, goarch, err, stderr.String())
	}
	return out, nil
}

// ModuleRoot returns the directory holding the main module's go.mod.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, goCommand(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find module root: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("find module root: not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// FindRIE returns the pinned emulator: $AWS_LAMBDA_RIE if set, else bin/aws-lambda-rie in the
// module root, else aws-lambda-rie on PATH. A binary of another version is not accepted.
func FindRIE(ctx context.Context) (string, error) {
	if p := os.Getenv("AWS_LAMBDA_RIE"); p != "" {
		if err := checkRIE(p); err != nil {
			return "", fmt.Errorf("find %s: $AWS_LAMBDA_RIE: %w", RIEBinary, err)
		}
		return p, nil
	}
	var candidates []string
	if root, err := ModuleRoot(ctx); err == nil {
		candidates = append(candidates, filepath.Join(root, "bin", RIEBinary))
	}
	if p, err := exec.LookPath(RIEBinary); err == nil {
		candidates = append(candidates, p)
	}
	var errs []error
	for _, p := range candidates {
		err := checkRIE(p)
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
	}
	return "", fmt.Errorf("find %s %s: %w", RIEBinary, RIEVersion, errors.Join(append([]error{ErrNotInstalled}, errs...)...))
}

// checkRIE reports whether path is an executable built from RIEModule at RIEVersion.
func checkRIE(path string) error {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if info.Path != RIEModule || info.Main.Version != RIEVersion {
		return fmt.Errorf("%s: is %s@%s, want %s", path, info.Path, info.Main.Version, RIEVersion)
	}
	return nil
}

// InstallRIE installs the pinned emulator into dir with `go install` (through the Go module
// proxy) and returns its path. The binary appears atomically, so concurrent installs by
// parallel test processes are harmless.
func InstallRIE(ctx context.Context, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("install %s: %w", RIEBinary, err)
	}
	tmp, err := os.MkdirTemp(dir, ".install-")
	if err != nil {
		return "", fmt.Errorf("install %s: %w", RIEBinary, err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, goCommand(), "install", RIEModule+"@"+RIEVersion)
	cmd.Dir = tmp // outside any module's influence: go install pkg@version ignores go.mod anyway
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0", "GOOS=", "GOARCH=", "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("install %s@%s: %w: %w\n%s", RIEModule, RIEVersion, ErrNotInstalled, err, stderr.String())
	}
	dst := filepath.Join(dir, RIEBinary)
	if err := os.Rename(filepath.Join(tmp, RIEBinary), dst); err != nil {
		return "", fmt.Errorf("install %s: %w", RIEBinary, err)
	}
	return dst, nil
}

// EnsureRIE returns FindRIE's answer, installing the emulator into the module's bin/ first when
// it is missing.
func EnsureRIE(ctx context.Context) (string, error) {
	if p, err := FindRIE(ctx); err == nil {
		return p, nil
	}
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", fmt.Errorf("install %s: %w", RIEBinary, err)
	}
	return InstallRIE(ctx, filepath.Join(root, "bin"))
}

func goCommand() string {
	if goroot := os.Getenv("GOROOT"); goroot != "" {
		if p := filepath.Join(goroot, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
