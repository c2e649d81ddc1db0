package iaclint

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

func find(t *testing.T, name string) (Format, []Role) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	f, roles, err := Find(name, data)
	if err != nil {
		t.Fatalf("Find(%s): %v", name, err)
	}
	return f, roles
}

// TestFindFixtures pins the roles, lines, statement lines and opaque values of every fixture.
func TestFindFixtures(t *testing.T) {
	type row struct {
		Resource, Type string
		Line           int
		Statements     []int
		Opaque         []string // Where@line
		Err            string
	}
	tests := []struct {
		file   string
		format Format
		want   []row
	}{
		{"template.yaml", FormatCloudFormation, []row{
			{"DeployRole", "AWS::IAM::Role", 24, []int{27}, []string{"Statement[0].Principal.AWS@31", "Statement[0].Principal.AWS@32", "Statement[0].Condition.StringEquals.sts:ExternalId@36"}, ""},
			{"BuilderRole", "AWS::IAM::Role", 41, []int{44}, []string{"Statement[0].Principal.AWS@45"}, ""},
			{"ServiceRole", "AWS::IAM::Role", 54, []int{56}, []string{"Statement[0].Principal.Service@58"}, ""},
			{"ChosenRole", "AWS::IAM::Role", 64, nil, nil, "the Statement list is built with !If (line 66)"},
			{"ApiFunction", "AWS::Serverless::Function", 77, []int{80}, nil, ""},
			{"WorkerFunction", "AWS::Serverless::Function", 12, []int{15}, nil, ""},
		}},
		{"template.json", FormatCloudFormation, []row{
			{"AdminRole", "AWS::IAM::Role", 8, []int{11}, []string{"Statement[0].Principal.AWS@14"}, ""},
			{"ReaderRole", "AWS::IAM::Role", 25, []int{28}, nil, ""},
		}},
		{"cdk.out/AppStack.template.json", FormatCloudFormation, []row{
			{"DeployerRoleABCD1234", "AWS::IAM::Role", 6, []int{8}, []string{"Statement[0].Principal.AWS@12"}, ""},
		}},
		{"tfplan.json", FormatTerraformPlan, []row{
			{"aws_iam_role.deployer", "aws_iam_role", 14, nil, nil, ""},
			{`module.ci.aws_iam_role.runner["main"]`, "aws_iam_role", 29, nil, nil, ""},
			{"aws_iam_role.computed", "aws_iam_role", 42, nil, nil, "known only after apply"},
		}},
		{"tfplan-planned.json", FormatTerraformPlan, []row{
			{"aws_iam_role.app", "aws_iam_role", 13, nil, nil, ""},
			{"module.people.aws_iam_role.dev", "aws_iam_role", 27, nil, nil, ""},
		}},
	}
	for _, tt := range tests {
		format, roles := find(t, tt.file)
		if format != tt.format {
			t.Errorf("%s: format %q; want %q", tt.file, format, tt.format)
		}
		var got []row
		for _, r := range roles {
			g := row{Resource: r.Resource, Type: r.Type, Line: r.Line, Statements: r.StatementLines}
			for _, o := range r.Opaque {
				g.Opaque = append(g.Opaque, fmt.Sprintf("%s@%d", o.Where, o.Line))
			}
			if r.Err != nil {
				g.Err = r.Err.Error()
				if !strings.Contains(g.Err, tt.want[len(got)].Err) || tt.want[len(got)].Err == "" {
					t.Errorf("%s %s: error %q; want one containing %q", tt.file, r.Resource, g.Err, tt.want[len(got)].Err)
				}
				if !errors.Is(r.Err, ErrOpaque) {
					t.Errorf("%s %s: error does not wrap ErrOpaque", tt.file, r.Resource)
				}
				g.Err = tt.want[len(got)].Err
			}
			got = append(got, g)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.file, diff)
		}
	}
}

// A minified plan (terraform show -json prints one line), with \/ escapes: every role on line
// 1, told apart by column, judged as in the indented plan.
func TestFindMinifiedPlan(t *testing.T) {
	_, indented := find(t, "tfplan.json")
	_, minified := find(t, "tfplan-minified.json")
	if len(minified) != len(indented) {
		t.Fatalf("%d roles; want %d", len(minified), len(indented))
	}
	data, _ := os.ReadFile(filepath.Join("testdata", "tfplan-minified.json"))
	for i, r := range minified {
		if r.Line != 1 || r.Column < 2 || r.Resource != indented[i].Resource {
			t.Errorf("role %d: %s at %d:%d; want %s on line 1", i, r.Resource, r.Line, r.Column, indented[i].Resource)
			continue
		}
		// yaml.v3 places the first key of a flow mapping at its "{".
		if at := string(data[r.Column-1:]); !strings.HasPrefix(at, `"assume_role_policy"`) && !strings.HasPrefix(at, `{"assume_role_policy"`) {
			t.Errorf("%s: column %d is not the policy key: %.30s", r.Resource, r.Column, data[r.Column-1:])
		}
		a, b := Check(r, trustpolicy.Rules{}), Check(indented[i], trustpolicy.Rules{})
		if a.Compliant != b.Compliant || len(a.Findings) != len(b.Findings) || string(a.FixedPolicy) != string(b.FixedPolicy) {
			t.Errorf("%s: minified %+v, indented %+v", r.Resource, a, b)
		}
	}
}

// terraform show -json of a state holds "values" where a plan holds "planned_values".
func TestFindTerraformState(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "tfplan-planned.json"))
	if err != nil {
		t.Fatal(err)
	}
	state := strings.Replace(string(data), `"planned_values"`, `"values"`, 1)
	format, roles, err := Find("state.json", []byte(state))
	if err != nil || format != FormatTerraformPlan || len(roles) != 2 || roles[1].Resource != "module.people.aws_iam_role.dev" {
		t.Errorf("Find(state) = %v, %+v, %v", format, roles, err)
	}
}

func TestFindRejects(t *testing.T) {
	for _, tt := range []struct {
		data string
		want error
	}{
		{"a: [\n", ErrSyntax},
		{`{"name":"x"}`, ErrNotIaC},
		{"", ErrNotIaC},
		{"- 1\n- 2\n", ErrNotIaC},
		{`{"version":"36.0.0","artifacts":{}}`, ErrNotIaC},
	} {
		if _, _, err := Find("f", []byte(tt.data)); !errors.Is(err, tt.want) {
			t.Errorf("Find(%q) = %v; want %v", tt.data, err, tt.want)
		}
	}
	// A role without a policy, or with a malformed one, is unusable; one built by Fn::If is not
	// compliant but usable.
	data := []byte("Resources:\n  A:\n    Type: AWS::IAM::Role\n  B:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {Statement: [{Effect: Maybe, Principal: '*', Action: 'sts:AssumeRole'}]}\n  C:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {'Fn::If': [c, {}, {}]}\n")
	data = append(data, []byte("  'Fn::ForEach::Teams':\n    - Team\n    - [a, b]\n    - '${Team}Role':\n        Type: AWS::IAM::Role\n        Properties: {AssumeRolePolicyDocument: {Statement: []}}\n")...)
	_, roles, err := Find("t.yaml", data)
	if err != nil || len(roles) != 4 {
		t.Fatalf("Find = %v, %v", roles, err)
	}
	if r := roles[3]; r.Resource != "Fn::ForEach::Teams" || r.Line != 12 || !errors.Is(r.Err, ErrOpaque) {
		t.Errorf("Fn::ForEach role = %+v; want an opaque role at line 12", r)
	}
	for i, want := range []bool{true, true, false, false} {
		r := Check(roles[i], trustpolicy.Rules{})
		if r.Unusable() != want || r.Compliant || r.Error == "" {
			t.Errorf("%s: unusable=%v compliant=%v error=%q; want unusable=%v, not compliant, an error", r.Resource, r.Unusable(), r.Compliant, r.Error, want)
		}
	}
}

// The fixed policy puts the intrinsics back, parses as a policy once they are placeholders
// again, and is compliant.
func TestCheckRestoresIntrinsics(t *testing.T) {
	_, roles := find(t, "template.yaml")
	r := Check(roles[0], trustpolicy.Rules{})
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"Builders","Effect":"Allow","Principal":{"AWS":[{"Fn::GetAtt":["BuilderRole","Arn"]},{"Fn::Sub":"arn:${AWS::Partition}:iam::${CiAccount}:root"}]},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"sts:ExternalId":{"Ref":"CiAccount"}},"StringLike":{"sts:SourceIdentity":"*"}}}]}`
	if string(r.FixedPolicy) != want {
		t.Errorf("FixedPolicy =\n%s\nwant\n%s", r.FixedPolicy, want)
	}
	for _, f := range r.Findings {
		if !f.Fixed {
			t.Errorf("finding %s not marked fixed", f.Code)
		}
	}
	// Round trip: the fixed policy, read as a template again, is compliant.
	tmpl := `{"Resources":{"R":{"Type":"AWS::IAM::Role","Properties":{"AssumeRolePolicyDocument":` + string(r.FixedPolicy) + `}}}}`
	_, again, err := Find("fixed.json", []byte(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	if res := Check(again[0], trustpolicy.Rules{}); !res.Compliant {
		t.Errorf("the fixed policy is not compliant: %+v", res.Findings)
	}
}

func TestShortFormsAsLongForm(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"!Ref X", `{"Ref":"X"}`},
		{"!GetAtt A.Arn", `{"Fn::GetAtt":["A","Arn"]}`},
		{"!GetAtt [A, Arn]", `{"Fn::GetAtt":["A","Arn"]}`},
		{"!Sub 'arn:${AWS::Partition}:iam::${A}:root'", `{"Fn::Sub":"arn:${AWS::Partition}:iam::${A}:root"}`},
		{"!Join ['', [a, !Ref B]]", `{"Fn::Join":["",["a",{"Ref":"B"}]]}`},
		{"!If [C, !ImportValue X, !Ref 'AWS::NoValue']", `{"Fn::If":["C",{"Fn::ImportValue":"X"},{"Ref":"AWS::NoValue"}]}`},
		{"!Select [0, !GetAZs '']", `{"Fn::Select":[0,{"Fn::GetAZs":""}]}`},
	} {
		data := "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal:\n              AWS: " + tt.yaml + "\n            Action: sts:AssumeRole\n"
		_, roles, err := Find("t.yaml", []byte(data))
		if err != nil || len(roles) != 1 || roles[0].Err != nil || len(roles[0].Opaque) != 1 {
			t.Fatalf("%s: %v %+v", tt.yaml, err, roles)
		}
		if got := roles[0].Opaque[0].Value; got != tt.want {
			t.Errorf("%s: long form %s; want %s", tt.yaml, got, tt.want)
		}
	}
}

// Property: whatever principals a template has, intrinsic or not, lint finds each role at its
// line, judges an opaque AWS principal as an AWS principal (never compliant without the
// condition, never "*"), and no placeholder leaks into what it reports.
func TestOpaquePrincipalsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(t, "roles")
		var b strings.Builder
		b.WriteString("Resources:\n")
		type want struct {
			line      int
			compliant bool
		}
		var wants []want
		line := 2
		for i := range n {
			principal := rapid.SampledFrom([]string{"!GetAtt Other.Arn", "!Ref Who", "!Sub 'arn:aws:iam::${A}:root'", "arn:aws:iam::111122223333:root", "{'Fn::ImportValue': X}"}).Draw(t, "principal")
			requires := rapid.Bool().Draw(t, "requires")
			action := "sts:AssumeRole"
			cond := ""
			if requires {
				action = "[sts:AssumeRole, sts:SetSourceIdentity]"
				cond = "            Condition: {StringLike: {'sts:SourceIdentity': '*'}}\n"
			}
			fmt.Fprintf(&b, "  R%d:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal: {AWS: %s}\n            Action: %s\n%s", i, principal, action, cond)
			wants = append(wants, want{line + 3, requires})
			line += 8
			if requires {
				line++
			}
		}
		_, roles, err := Find("p.yaml", []byte(b.String()))
		if err != nil || len(roles) != n {
			t.Fatalf("Find: %v, %d roles; want %d\n%s", err, len(roles), n, b.String())
		}
		for i, r := range roles {
			res := Check(r, trustpolicy.Rules{})
			if res.Line != wants[i].line || res.Compliant != wants[i].compliant {
				t.Fatalf("R%d: line %d compliant %v; want line %d compliant %v\n%s", i, res.Line, res.Compliant, wants[i].line, wants[i].compliant, b.String())
			}
			out, _ := json.Marshal(res)
			if strings.Contains(string(out), "sidguard-opaque") {
				t.Fatalf("a placeholder leaked: %s", out)
			}
			if len(res.FixedPolicy) > 0 && !json.Valid(res.FixedPolicy) {
				t.Fatalf("fixed policy is not JSON: %s", res.FixedPolicy)
			}
		}
	})
}
