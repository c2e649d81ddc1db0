package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/toolcheck"
)

// Test values for intrinsic functions when resolving the expanded template (the account and the
// role-name convention are those of the samples in events/).
const (
	testAccount   = "111122223333"
	testPartition = "aws"
	testRegion    = "us-east-1"
	testStack     = "source-identity-guard"
)

// roleARN is the ARN CloudFormation would give the role with logical id id: the template puts
// the guard's roles under /source-identity-guard/<stack>/ and CloudFormation names them
// <stack>-<logical id>-<random suffix>.
func roleARN(id string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/source-identity-guard/%s/%s-%s-EXAMPLE",
		testPartition, testAccount, testStack, testStack, id)
}

// expanded is template.yaml after the SAM transform.
type expanded struct {
	Parameters map[string]map[string]any `json:"Parameters"`
	Rules      map[string]any            `json:"Rules"`
	Resources  map[string]resource       `json:"Resources"`
	Outputs    map[string]any            `json:"Outputs"`
}

type resource struct {
	Type       string         `json:"Type"`
	Condition  string         `json:"Condition"`
	Metadata   map[string]any `json:"Metadata"`
	Properties map[string]any `json:"Properties"`
}

var expandOnce struct {
	sync.Once
	tpl  *expanded
	raw  []byte
	err  error
	skip string
}

// expand runs testdata/sam_expand.py (aws-sam-translator) on the repository's template.yaml.
// Without python3 + samtranslator the test is skipped, or fails when CI=true.
func expand(t *testing.T) *expanded {
	t.Helper()
	expandOnce.Do(func() {
		python, err := exec.LookPath("python3")
		if err != nil {
			expandOnce.skip = "python3 not on PATH"
			return
		}
		if err := exec.Command(python, "-c", "import samtranslator").Run(); err != nil {
			expandOnce.skip = "python3 cannot import samtranslator (aws-sam-translator)"
			return
		}
		cmd := exec.Command(python, filepath.Join("testdata", "sam_expand.py"), templatePath(t))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			expandOnce.err = fmt.Errorf("expand template.yaml with aws-sam-translator: %w\n%s", err, stderr.String())
			return
		}
		var tpl expanded
		if err := json.Unmarshal(out, &tpl); err != nil {
			expandOnce.err = fmt.Errorf("decode expanded template: %w", err)
			return
		}
		expandOnce.tpl, expandOnce.raw = &tpl, out
	})
	if expandOnce.skip != "" {
		missingTool(t, expandOnce.skip, "aws-sam-translator 1.110 ships with the image's Python (pip install aws-sam-translator elsewhere)")
	}
	if expandOnce.err != nil {
		t.Fatal(expandOnce.err)
	}
	return expandOnce.tpl
}

func templatePath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func missingTool(t *testing.T, what, hint string) {
	t.Helper()
	toolcheck.Missing(t, "template test: "+what, hint)
}

// resolve replaces the intrinsic functions in v with test values: Ref of pseudo parameters and
// of parameters (their defaults), Fn::GetAtt <role>.Arn, Fn::Sub. Anything else is an error, so
// a new intrinsic in the pattern cannot slip through untested.
func (tpl *expanded) resolve(v any) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := tpl.resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return tpl.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := tpl.resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

func (tpl *expanded) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return tpl.ref(name)
	case "Fn::GetAtt":
		parts, _ := arg.([]any)
		if len(parts) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt %v: want [resource, attribute]", arg)
		}
		id, _ := parts[0].(string)
		attr, _ := parts[1].(string)
		r, ok := tpl.Resources[id]
		if !ok || attr != "Arn" {
			return nil, fmt.Errorf("Fn::GetAtt %s.%s: no test value", id, attr)
		}
		if r.Type == "AWS::IAM::Role" {
			return roleARN(id), nil
		}
		if kind, ok := arnKinds[r.Type]; ok {
			return fmt.Sprintf("arn:%s:%s:%s:%s:%s", testPartition, kind, testRegion, testAccount, id), nil
		}
		return nil, fmt.Errorf("Fn::GetAtt %s.%s (%s): no test value", id, attr, r.Type)
	case "Fn::Sub":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Sub %v: only the string form is resolved", arg)
		}
		var err error
		out := subVar.ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-1]
			var v any
			if id, attr, ok := strings.Cut(name, "."); ok {
				v, err = tpl.intrinsic("Fn::GetAtt", []any{id, attr})
			} else {
				v, err = tpl.ref(name)
			}
			return fmt.Sprint(v)
		})
		return out, err
	}
	return nil, fmt.Errorf("%s: no test value", fn)
}

// arnKinds gives test ARNs ("arn:aws:<kind>:region:account:<logical id>") to resource types.
var arnKinds = map[string]string{
	"AWS::SQS::Queue":          "sqs",
	"AWS::Logs::LogGroup":      "logs",
	"AWS::Events::Rule":        "events",
	"AWS::Lambda::Function":    "lambda",
	"AWS::SSM::Parameter":      "ssm",
	"AWS::SNS::Topic":          "sns",
	"AWS::Events::EventBus":    "events",
	"AWS::DynamoDB::Table":     "dynamodb",
	"AWS::Scheduler::Schedule": "scheduler",
}

// subVar matches ${Name} and ${Resource.Attr} in Fn::Sub strings (not the ${!Literal} escape).
var subVar = regexp.MustCompile(`\$\{[^}!][^}]*\}`)

func (tpl *expanded) ref(name string) (any, error) {
	switch name {
	case "AWS::AccountId":
		return testAccount, nil
	case "AWS::Partition":
		return testPartition, nil
	case "AWS::Region":
		return testRegion, nil
	case "AWS::StackName":
		return testStack, nil
	}
	if p, ok := tpl.Parameters[name]; ok {
		if d, ok := p["Default"]; ok {
			return fmt.Sprint(d), nil
		}
		return nil, fmt.Errorf("Ref %s: parameter without a default", name)
	}
	if r, ok := tpl.Resources[name]; ok && (r.Type == "AWS::IAM::Role" || r.Type == "AWS::Lambda::Function") {
		// CloudFormation names them <stack>-<logical id>-<random suffix> (see roleARN).
		return fmt.Sprintf("%s-%s-EXAMPLE", testStack, name), nil
	}
	return nil, fmt.Errorf("Ref %s: no test value", name)
}

// functionRules returns the AWS::Events::Rule resources that target the resource (function or
// queue) with logical id fn, by logical id.
func (tpl *expanded) functionRules(fn string) map[string]resource {
	rules := map[string]resource{}
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Events::Rule" || r.Condition == "IsOrganization" { // the hub bus rule: org_test.go
			continue
		}
		targets, _ := r.Properties["Targets"].([]any)
		for _, tg := range targets {
			arn, _ := tg.(map[string]any)["Arn"].(map[string]any)
			if ga, _ := arn["Fn::GetAtt"].([]any); len(ga) == 2 && ga[0] == fn {
				rules[id] = r
			}
		}
	}
	return rules
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var errNoValue = errors.New("no value")

// lookup walks a decoded JSON value by keys.
func lookup(v any, keys ...string) (any, error) {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %w", strings.Join(keys, "."), errNoValue)
		}
		if v, ok = m[k]; !ok {
			return nil, fmt.Errorf("%s: %w", strings.Join(keys, "."), errNoValue)
		}
	}
	return v, nil
}
