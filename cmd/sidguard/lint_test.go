package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/source-identity-guard/source-identity-guard/shared/iaclint"
)

// lintFixtures are the fixture templates and plans of shared/iaclint.
const lintFixtures = "../../shared/iaclint/testdata"

func runLintCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"lint"}, args...), strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

// lintRecord holds the contract fields of one JSON line.
type lintRecord struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Resource  string `json:"resource"`
	Compliant bool   `json:"compliant"`
	Findings  []struct {
		Code string `json:"code"`
	} `json:"findings"`
	FixedPolicy json.RawMessage `json:"fixedPolicy"`
	Error       string          `json:"error"`
}

// TestLintJSONContract checks the fields outside checks rely on, one JSON object per role per
// line, for every kind of input, with the lines of the fixtures.
func TestLintJSONContract(t *testing.T) {
	stdout, stderr, code := runLintCLI(t, "--format", "json", lintFixtures)
	if code != exitFindings {
		t.Fatalf("lint --format json %s: exit %d; want 1\n%s", lintFixtures, code, stderr)
	}
	type row struct {
		File, Resource string
		Line           int
		Compliant      bool
		Codes          string
		Fixed, Error   bool
	}
	var got []row
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var r lintRecord
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line is not a JSON object: %v\n%s", err, sc.Text())
		}
		var all map[string]json.RawMessage
		json.Unmarshal(sc.Bytes(), &all)
		for _, k := range []string{"file", "line", "resource", "compliant", "findings"} {
			if _, ok := all[k]; !ok {
				t.Errorf("record without %q: %s", k, sc.Text())
			}
		}
		var codes []string
		for _, f := range r.Findings {
			codes = append(codes, f.Code)
		}
		rel, _ := filepath.Rel(lintFixtures, r.File)
		got = append(got, row{filepath.ToSlash(rel), r.Resource, r.Line, r.Compliant, strings.Join(codes, ","), len(r.FixedPolicy) > 0, r.Error != ""})
	}
	const both = "missing-set-source-identity,missing-source-identity-condition"
	want := []row{
		{"cdk.out/AppStack.template.json", "DeployerRoleABCD1234", 6, false, both, true, false},
		{"template.json", "AdminRole", 8, false, both, true, false},
		{"template.json", "ReaderRole", 25, true, "", false, false},
		{"template.yaml", "DeployRole", 24, false, both, true, false},
		{"template.yaml", "BuilderRole", 41, true, "", false, false},
		{"template.yaml", "ServiceRole", 54, true, "", false, false},
		{"template.yaml", "ChosenRole", 64, false, "", false, true},
		{"template.yaml", "ApiFunction", 77, false, both, true, false},
		{"template.yaml", "WorkerFunction", 12, true, "", false, false},
		{"tfplan-minified.json", "aws_iam_role.deployer", 1, false, both, true, false},
		{"tfplan-minified.json", `module.ci.aws_iam_role.runner["main"]`, 1, true, "", false, false},
		{"tfplan-minified.json", "aws_iam_role.computed", 1, false, "", false, true},
		{"tfplan-planned.json", "aws_iam_role.app", 13, true, "", false, false},
		{"tfplan-planned.json", "module.people.aws_iam_role.dev", 27, false, both, true, false},
		{"tfplan.json", "aws_iam_role.deployer", 14, false, both, true, false},
		{"tfplan.json", `module.ci.aws_iam_role.runner["main"]`, 29, true, "", false, false},
		{"tfplan.json", "aws_iam_role.computed", 42, false, "", false, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lint records (-want +got):\n%s", diff)
	}
}

// The lines the JSON records name hold the policy key of the resource they name.
func TestLintLinesPointAtThePolicy(t *testing.T) {
	stdout, _, _ := runLintCLI(t, "--format", "json", lintFixtures)
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r lintRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(r.File)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		if r.Line < 1 || r.Line > len(lines) {
			t.Errorf("%s: line %d out of range", r.Resource, r.Line)
			continue
		}
		text := lines[r.Line-1]
		if !strings.Contains(text, "AssumeRolePolicyDocument") && !strings.Contains(text, "assume_role_policy") {
			t.Errorf("%s:%d (%s) is %q; want the policy key", r.File, r.Line, r.Resource, text)
		}
	}
}

func TestLintExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	compliant := write("ok.yaml", "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {Service: ec2.amazonaws.com}\n            Action: sts:AssumeRole\n")
	malformed := write("bad.yaml", "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Maybe\n            Principal: {AWS: '111122223333'}\n            Action: sts:AssumeRole\n")
	broken := write("broken.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n")
	notIaC := write("other.json", `{"name":"package"}`)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "package.json"), []byte(`{"name":"x"}`), 0o644)
	os.WriteFile(filepath.Join(sub, "notes.yaml"), []byte("a: [\n"), 0o644) // not a template: skipped

	for _, tt := range []struct {
		args   []string
		exit   int
		stderr string
	}{
		{[]string{compliant}, exitOK, ""},
		{[]string{"--format", "json", compliant}, exitOK, ""},
		{[]string{lintFixtures + "/template.json"}, exitFindings, ""},
		{[]string{"--mode", "allow", lintFixtures + "/tfplan.json"}, exitFindings, ""},
		{[]string{malformed}, exitUsage, "Effect"},
		{[]string{broken}, exitUsage, "not YAML or JSON"},
		{[]string{notIaC}, exitUsage, "neither a CloudFormation"},
		{[]string{"--skip-unrecognised", notIaC, compliant}, exitOK, ""},
		{[]string{"--skip-unrecognised", broken}, exitUsage, "not YAML or JSON"},
		{[]string{filepath.Join(dir, "missing.yaml")}, exitUsage, "no such file"},
		{[]string{sub}, exitOK, "no IAM roles found"},
		{[]string{}, exitUsage, "no PATH"},
		{[]string{"--format", "xml", compliant}, exitUsage, "want text, json or sarif"},
		{[]string{"--mode", "maybe", compliant}, exitUsage, "want allow or require"},
	} {
		_, stderr, code := runLintCLI(t, tt.args...)
		if code != tt.exit || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("lint %s: exit %d, stderr %q; want exit %d, stderr with %q", strings.Join(tt.args, " "), code, stderr, tt.exit, tt.stderr)
		}
	}
	// A directory with a broken file that looks like a template: reported, not skipped.
	os.WriteFile(filepath.Join(sub, "stack.yaml"), []byte("AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n"), 0o644)
	if _, stderr, code := runLintCLI(t, sub); code != exitUsage || !strings.Contains(stderr, "stack.yaml") {
		t.Errorf("lint on a directory with a broken template: exit %d, stderr %q; want 2 naming stack.yaml", code, stderr)
	}
}

// TestLintJudgesAsCheck: under the same rule flags, lint's verdict and finding codes for each
// role are those of "sidguard check" on the role's policy (roles without intrinsic values).
func TestLintJudgesAsCheck(t *testing.T) {
	flagSets := [][]string{nil, {"--mode", "allow"}, {"--pattern", "*@example.com"}, {"--size-limit", "2048"},
		{"--federated", "*"}}
	files, _ := filepath.Glob(filepath.Join(lintFixtures, "*.json"))
	yamls, _ := filepath.Glob(filepath.Join(lintFixtures, "*.yaml"))
	files = append(files, yamls...)
	compared := 0
	for _, flags := range flagSets {
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, roles, err := iaclint.Find(file, data)
			if err != nil {
				t.Fatal(err)
			}
			stdout, _, _ := runLintCLI(t, append(append([]string{"--format", "json"}, flags...), file)...)
			records := map[string]lintRecord{}
			for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
				var r lintRecord
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				records[r.Resource] = r
			}
			for _, role := range roles {
				if role.Err != nil || len(role.Opaque) > 0 {
					continue
				}
				var out, errOut bytes.Buffer
				code := run(append(append([]string{"check", "--format", "json"}, flags...), "-"), bytes.NewReader(role.Policy), &out, &errOut)
				var rep struct {
					Compliant bool
					Findings  []struct{ Code string }
				}
				if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
					t.Fatalf("check on %s: exit %d: %v\n%s", role.Resource, code, err, errOut.String())
				}
				got := records[role.Resource]
				var gotCodes, wantCodes []string
				for _, f := range got.Findings {
					gotCodes = append(gotCodes, f.Code)
				}
				for _, f := range rep.Findings {
					wantCodes = append(wantCodes, f.Code)
				}
				if got.Compliant != rep.Compliant || !cmp.Equal(gotCodes, wantCodes) {
					t.Errorf("%s %v: lint says compliant=%v %v; check says %v %v", role.Resource, flags, got.Compliant, gotCodes, rep.Compliant, wantCodes)
				}
				compared++
			}
		}
	}
	if compared < 20 {
		t.Errorf("compared only %d roles with check; want at least 20", compared)
	}
}

// TestLintSARIFValidatesAgainstTheSchema validates the SARIF output against the SARIF 2.1.0
// JSON schema (testdata/sarif, offline), and checks each result points at a file and line.
func TestLintSARIFValidatesAgainstTheSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	schema, err := c.Compile(filepath.Join("testdata", "sarif", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatalf("compile the SARIF schema: %v", err)
	}
	stdout, stderr, code := runLintCLI(t, "--format", "sarif", lintFixtures)
	if code != exitFindings {
		t.Fatalf("lint --format sarif: exit %d; want 1\n%s", code, stderr)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(stdout))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v", err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("SARIF output does not validate against the 2.1.0 schema: %v", err)
	}
	// A clean run (no results) validates too.
	okFile := filepath.Join(t.TempDir(), "ok.json")
	os.WriteFile(okFile, []byte(`{"Resources":{"R":{"Type":"AWS::IAM::Role","Properties":{"AssumeRolePolicyDocument":{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}}}}}`), 0o644)
	clean, _, code := runLintCLI(t, "--format", "sarif", okFile)
	cleanInst, err := jsonschema.UnmarshalJSON(strings.NewReader(clean))
	if code != exitOK || err != nil || schema.Validate(cleanInst) != nil || !strings.Contains(clean, `"results": []`) {
		t.Errorf("SARIF of a clean run (exit %d) does not validate or has results: %v\n%s", code, err, clean)
	}
	// The schema must be able to fail: a log with a result lacking its message is refused.
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"r","level":"fatal"}]}]}`))
	if schema.Validate(bad) == nil {
		t.Fatal("the schema accepted a result without a message and with level fatal")
	}

	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil {
		t.Fatal(err)
	}
	type loc struct {
		URI  string
		Line int
		Rule string
	}
	var got []loc
	for _, r := range log.Runs[0].Results {
		l := r.Locations[0].PhysicalLocation
		got = append(got, loc{strings.TrimPrefix(l.ArtifactLocation.URI, "../../shared/iaclint/testdata/"), l.Region.StartLine, r.RuleID})
	}
	// Findings sit on their statement's line; errors on the policy's.
	want := []loc{
		{"cdk.out/AppStack.template.json", 8, "missing-set-source-identity"},
		{"cdk.out/AppStack.template.json", 8, "missing-source-identity-condition"},
		{"template.json", 11, "missing-set-source-identity"},
		{"template.json", 11, "missing-source-identity-condition"},
		{"template.yaml", 27, "missing-set-source-identity"},
		{"template.yaml", 27, "missing-source-identity-condition"},
		{"template.yaml", 64, "unanalysable-policy"},
		{"template.yaml", 80, "missing-set-source-identity"},
		{"template.yaml", 80, "missing-source-identity-condition"},
		{"tfplan-minified.json", 1, "missing-set-source-identity"},
		{"tfplan-minified.json", 1, "missing-source-identity-condition"},
		{"tfplan-minified.json", 1, "unanalysable-policy"},
		{"tfplan-planned.json", 27, "missing-set-source-identity"},
		{"tfplan-planned.json", 27, "missing-source-identity-condition"},
		{"tfplan.json", 14, "missing-set-source-identity"},
		{"tfplan.json", 14, "missing-source-identity-condition"},
		{"tfplan.json", 42, "unanalysable-policy"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SARIF result locations (-want +got):\n%s", diff)
	}
}
