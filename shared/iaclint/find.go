package iaclint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Format is the kind of file Find recognised.
type Format string

const (
	FormatCloudFormation Format = "cloudformation" // CloudFormation/SAM template or CDK synth output
	FormatTerraformPlan  Format = "terraform-plan" // terraform show -json
)

// MaxFileSize bounds the files Find reads (a large Terraform plan is some MB).
const MaxFileSize = 64 << 20

// maxNodes bounds the YAML nodes a file may expand to (aliases included).
const maxNodes = 2_000_000

var (
	// ErrNotIaC: the file is YAML or JSON but neither a template nor a plan.
	ErrNotIaC = errors.New("neither a CloudFormation/SAM template nor a Terraform plan (terraform show -json)")
	// ErrSyntax: the file is not YAML or JSON.
	ErrSyntax = errors.New("not YAML or JSON")
	// ErrOpaque is wrapped by a Role's Err when the policy is built by an intrinsic function (or
	// known only after apply): nothing can be said before deploy.
	ErrOpaque = errors.New("policy known only at deploy time")
)

func (e *opaqueError) Unwrap() error { return ErrOpaque }

// Role is one IAM role found in a file.
type Role struct {
	File     string
	Line     int    // line of the policy key (AssumeRolePolicyDocument / assume_role_policy)
	Column   int    // its column (a minified plan is one line)
	Resource string // logical id, or Terraform address
	Type     string // AWS::IAM::Role, AWS::Serverless::Function, aws_iam_role
	Policy   []byte // the trust policy as JSON text, intrinsic values replaced by placeholders
	Opaque   []Opaque
	// StatementLines[i] is the line of Statement[i], when known.
	StatementLines []int
	// Err is set when the policy cannot be judged: wraps ErrOpaque (built at deploy time) or
	// says why the declaration is unusable.
	Err error
}

// Find reads the roles declared in data, the content of file.
func Find(file string, data []byte) (Format, []Role, error) {
	if len(data) > MaxFileSize {
		return "", nil, fmt.Errorf("%s: larger than %d bytes", file, MaxFileSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// JSON the YAML parser refuses: the escape \/ (YAML's parser knows the others).
		fixed, ok := jsonForYAML(data)
		if !ok || yaml.Unmarshal(fixed, &doc) != nil {
			return "", nil, fmt.Errorf("%s: %w: %v", file, ErrSyntax, err)
		}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return "", nil, fmt.Errorf("%s: %w: empty", file, ErrNotIaC)
	}
	if n := countNodes(&doc, maxNodes); n > maxNodes {
		return "", nil, fmt.Errorf("%s: more than %d YAML nodes once aliases are expanded", file, maxNodes)
	}
	top := deref(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		return "", nil, fmt.Errorf("%s: %w", file, ErrNotIaC)
	}
	switch {
	case get(top, "format_version") != nil && (get(top, "planned_values") != nil || get(top, "resource_changes") != nil || get(top, "terraform_version") != nil):
		roles, err := terraformRoles(file, top)
		return FormatTerraformPlan, roles, err
	case get(top, "Resources") != nil:
		roles, err := cloudFormationRoles(file, top)
		return FormatCloudFormation, roles, err
	}
	return "", nil, fmt.Errorf("%s: %w", file, ErrNotIaC)
}

// jsonForYAML rewrites valid JSON so that the YAML parser reads it the same, lines kept: the
// escape \/ becomes /.
func jsonForYAML(data []byte) ([]byte, bool) {
	if !json.Valid(data) || !bytes.Contains(data, []byte(`\/`)) {
		return nil, false
	}
	out := make([]byte, 0, len(data))
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case inString && c == '\\' && i+1 < len(data):
			if data[i+1] == '/' {
				out = append(out, '/')
			} else {
				out = append(out, c, data[i+1])
			}
			i++
			continue
		case c == '"':
			inString = !inString
		}
		out = append(out, c)
	}
	return out, true
}

// countNodes counts the nodes reachable from n, aliases followed, stopping past limit.
func countNodes(n *yaml.Node, limit int) int {
	count := 0
	var walk func(*yaml.Node, int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || count > limit {
			return
		}
		count++
		if depth > 10_000 {
			count = limit + 1
			return
		}
		if n.Kind == yaml.AliasNode {
			walk(n.Alias, depth+1)
			return
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return count
}

// get returns the value of key in mapping n, or nil; keyNode returns the key node itself.
func get(n *yaml.Node, key string) *yaml.Node {
	_, v := keyValue(n, key)
	return v
}

func keyValue(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], deref(n.Content[i+1])
		}
	}
	return nil, nil
}

func scalar(n *yaml.Node) string {
	if n = deref(n); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

func cloudFormationRoles(file string, top *yaml.Node) ([]Role, error) {
	resources := get(top, "Resources")
	if resources.Kind != yaml.MappingNode {
		if intrinsic(resources) {
			return nil, fmt.Errorf("%s: Resources is built with an intrinsic function (line %d)", file, resources.Line)
		}
		return nil, fmt.Errorf("%s: Resources (line %d) is not a mapping", file, resources.Line)
	}
	globalKey, globalDoc := keyValue(get(get(top, "Globals"), "Function"), "AssumeRolePolicyDocument")
	var roles []Role
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, deref(resources.Content[i+1])
		if strings.HasPrefix(id, "Fn::ForEach::") {
			if contains(res, "AWS::IAM::Role") || contains(res, "AWS::Serverless::Function") {
				roles = append(roles, Role{File: file, Line: resources.Content[i].Line, Column: resources.Content[i].Column, Resource: id, Type: "Fn::ForEach",
					Err: &opaqueError{where: "the roles of " + id, fn: "Fn::ForEach", line: resources.Content[i].Line}})
			}
			continue
		}
		typ := scalar(get(res, "Type"))
		props := get(res, "Properties")
		switch typ {
		case "AWS::IAM::Role":
			k, v := keyValue(props, "AssumeRolePolicyDocument")
			if v == nil {
				roles = append(roles, Role{File: file, Line: resources.Content[i].Line, Column: resources.Content[i].Column, Resource: id, Type: typ,
					Err: errors.New("no Properties.AssumeRolePolicyDocument (CloudFormation requires one)")})
				continue
			}
			roles = append(roles, policyRole(file, id, typ, k, v))
		case "AWS::Serverless::Function":
			if get(props, "Role") != nil {
				continue // an existing role: declared, and checked, elsewhere
			}
			if k, v := keyValue(props, "AssumeRolePolicyDocument"); v != nil {
				roles = append(roles, policyRole(file, id, typ, k, v))
			} else if globalDoc != nil {
				roles = append(roles, policyRole(file, id, typ, globalKey, globalDoc))
			}
		}
	}
	return roles, nil
}

func policyRole(file, id, typ string, key, doc *yaml.Node) Role {
	r := Role{File: file, Line: key.Line, Column: key.Column, Resource: id, Type: typ}
	r.Policy, r.Opaque, r.StatementLines, r.Err = convertPolicy(doc)
	if r.Err == nil && deref(doc).Kind == yaml.ScalarNode && deref(doc).ShortTag() == "!!str" {
		r.Policy = []byte(deref(doc).Value) // a policy given as JSON text
	}
	return r
}

func contains(n *yaml.Node, value string) bool {
	n = deref(n)
	if n == nil {
		return false
	}
	if n.Kind == yaml.ScalarNode {
		return n.Value == value
	}
	for _, c := range n.Content {
		if contains(c, value) {
			return true
		}
	}
	return false
}

func terraformRoles(file string, top *yaml.Node) ([]Role, error) {
	var roles []Role
	if changes := get(top, "resource_changes"); changes != nil {
		if changes.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("%s: resource_changes (line %d) is not a list", file, changes.Line)
		}
		for _, rc := range changes.Content {
			rc = deref(rc)
			if scalar(get(rc, "type")) != "aws_iam_role" || (scalar(get(rc, "mode")) != "" && scalar(get(rc, "mode")) != "managed") {
				continue
			}
			change := get(rc, "change")
			if actions := get(change, "actions"); actions != nil && actions.Kind == yaml.SequenceNode && len(actions.Content) == 1 && scalar(actions.Content[0]) == "delete" {
				continue
			}
			roles = append(roles, terraformRole(file, rc, get(change, "after"), get(change, "after_unknown")))
		}
		return roles, nil
	}
	var walk func(mod *yaml.Node)
	walk = func(mod *yaml.Node) {
		if res := get(mod, "resources"); res != nil && res.Kind == yaml.SequenceNode {
			for _, r := range res.Content {
				if scalar(get(r, "type")) == "aws_iam_role" && scalar(get(r, "mode")) != "data" {
					roles = append(roles, terraformRole(file, deref(r), get(r, "values"), nil))
				}
			}
		}
		if kids := get(mod, "child_modules"); kids != nil && kids.Kind == yaml.SequenceNode {
			for _, k := range kids.Content {
				walk(deref(k))
			}
		}
	}
	values := get(top, "planned_values")
	if values == nil {
		values = get(top, "values") // terraform show -json of a state file
	}
	walk(get(values, "root_module"))
	return roles, nil
}

func terraformRole(file string, rc, values, unknown *yaml.Node) Role {
	r := Role{File: file, Line: rc.Line, Column: rc.Column, Resource: scalar(get(rc, "address")), Type: "aws_iam_role"}
	if r.Resource == "" {
		r.Resource = "aws_iam_role." + scalar(get(rc, "name"))
	}
	k, v := keyValue(values, "assume_role_policy")
	if k != nil {
		r.Line, r.Column = k.Line, k.Column
	}
	switch {
	case scalar(get(unknown, "assume_role_policy")) == "true":
		if k, _ := keyValue(unknown, "assume_role_policy"); k != nil {
			r.Line, r.Column = k.Line, k.Column
		}
		r.Err = &opaqueError{where: "assume_role_policy", line: r.Line, after: true}
	case v == nil || v.ShortTag() == "!!null":
		r.Err = errors.New("no assume_role_policy in the plan")
	case v.Kind != yaml.ScalarNode:
		r.Err = fmt.Errorf("assume_role_policy (line %d) is not a JSON string", v.Line)
	default:
		r.Policy = []byte(v.Value)
	}
	return r
}
