package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// docBlock returns the fenced block of docs/callers.md that starts with first.
func docBlock(t *testing.T, first string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "callers.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, "```\n"+first)
	if i < 0 {
		t.Fatalf("docs/callers.md has no block starting %q", first)
	}
	rest := s[i+4:]
	return strings.Split(rest[:strings.Index(rest, "```")], "\n")
}

// The lint example in docs/callers.md is what lint prints on the fixture (an excerpt: every
// line shown is a line of the real output).
func TestCallersDocLintExample(t *testing.T) {
	lines := docBlock(t, "$ cd shared/iaclint/testdata && sidguard lint template.yaml")
	t.Chdir(filepath.Join("..", "..", "shared", "iaclint", "testdata"))
	var out, errOut bytes.Buffer
	run([]string{"lint", "template.yaml"}, strings.NewReader(""), &out, &errOut)
	real := map[string]bool{}
	for _, l := range strings.Split(out.String(), "\n") {
		real[l] = true
	}
	shown := 0
	for _, l := range lines[1:] {
		if l == "" || l == "…" {
			continue
		}
		shown++
		if !real[l] {
			t.Errorf("docs/callers.md shows a line lint does not print:\n%s\nlint printed:\n%s", l, out.String())
		}
	}
	if shown < 5 {
		t.Errorf("only %d lines compared", shown)
	}
}

// The caller-policy example is the policy the command prints (as JSON values).
func TestCallersDocCallerPolicyExample(t *testing.T) {
	lines := docBlock(t, "$ sidguard caller-policy --role-arn arn:aws:iam::111122223333:role/deployer")
	var out, errOut bytes.Buffer
	if code := run([]string{"caller-policy", "--role-arn", "arn:aws:iam::111122223333:role/deployer"}, strings.NewReader(""), &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var doc, got any
	if err := json.Unmarshal([]byte(strings.Join(lines[1:], "\n")), &doc); err != nil {
		t.Fatalf("the example in docs/callers.md is not JSON: %v", err)
	}
	json.Unmarshal(out.Bytes(), &got)
	if diff := cmp.Diff(doc, got); diff != "" {
		t.Errorf("docs/callers.md example differs from the output (-doc +got):\n%s", diff)
	}
}

// The pre-commit hook runs lint with flags lint accepts, and skips files that are not
// templates (pre-commit passes every changed YAML and JSON file).
func TestPreCommitHook(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID, Entry, Language string
		TypesOr             []string `yaml:"types_or"`
	}
	if err := yaml.Unmarshal(data, &hooks); err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 1 || hooks[0].ID != "sidguard-lint" || hooks[0].Language != "golang" {
		t.Fatalf("hooks = %+v", hooks)
	}
	args := strings.Fields(hooks[0].Entry)
	if len(args) < 2 || args[0] != "sidguard" || args[1] != "lint" {
		t.Fatalf("entry %q does not run sidguard lint", hooks[0].Entry)
	}
	files := []string{"../../shared/iaclint/testdata/template.json", "testdata/callers/identity-guide-example.json", "../../.pre-commit-hooks.yaml"}
	var out, errOut bytes.Buffer
	if code := run(append(args[1:], files...), strings.NewReader(""), &out, &errOut); code != exitFindings {
		t.Errorf("%s %v: exit %d; want 1 (template.json has a non-compliant role)\n%s", hooks[0].Entry, files, code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run(append(args[1:], files[1:]...), strings.NewReader(""), &out, &errOut); code != exitOK {
		t.Errorf("%s on files that are not templates: exit %d; want 0\n%s", hooks[0].Entry, code, errOut.String())
	}
}
