package iaclint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// shortForms maps the YAML short-form tags to their long-form keys
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html).
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!Join": "Fn::Join",
	"!If": "Fn::If", "!Select": "Fn::Select", "!Split": "Fn::Split", "!FindInMap": "Fn::FindInMap",
	"!ImportValue": "Fn::ImportValue", "!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr", "!GetAZs": "Fn::GetAZs",
	"!Equals": "Fn::Equals", "!And": "Fn::And", "!Or": "Fn::Or", "!Not": "Fn::Not", "!Transform": "Fn::Transform",
	"!ToJsonString": "Fn::ToJsonString", "!Length": "Fn::Length", "!ForEach": "Fn::ForEach",
}

// intrinsic reports whether n is an intrinsic function call: a short-form tag, or a mapping
// with the single key Ref or Fn::*.
func intrinsic(n *yaml.Node) bool {
	if _, ok := shortForms[n.Tag]; ok {
		return true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// longForm renders an intrinsic (and everything in it) as compact long-form JSON.
func longForm(n *yaml.Node) string {
	var b bytes.Buffer
	writeGeneric(&b, n)
	return b.String()
}

// writeGeneric writes n as JSON, short-form tags turned into long form.
func writeGeneric(b *bytes.Buffer, n *yaml.Node) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if key, ok := shortForms[n.Tag]; ok {
		b.WriteString("{")
		writeString(b, key)
		b.WriteString(":")
		if key == "Fn::GetAtt" && n.Kind == yaml.ScalarNode {
			res, attr, _ := strings.Cut(n.Value, ".")
			b.WriteString("[")
			writeString(b, res)
			b.WriteString(",")
			writeString(b, attr)
			b.WriteString("]")
		} else {
			plain := *n
			plain.Tag = ""
			writeGeneric(b, &plain)
		}
		b.WriteString("}")
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			writeGeneric(b, n.Content[0])
		} else {
			b.WriteString("null")
		}
	case yaml.MappingNode:
		b.WriteString("{")
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteString(",")
			}
			writeString(b, n.Content[i].Value)
			b.WriteString(":")
			writeGeneric(b, n.Content[i+1])
		}
		b.WriteString("}")
	case yaml.SequenceNode:
		b.WriteString("[")
		for i, c := range n.Content {
			if i > 0 {
				b.WriteString(",")
			}
			writeGeneric(b, c)
		}
		b.WriteString("]")
	default:
		writeScalar(b, n)
	}
}

func writeScalar(b *bytes.Buffer, n *yaml.Node) {
	switch n.ShortTag() {
	case "!!bool":
		if v, err := strconv.ParseBool(strings.ToLower(n.Value)); err == nil {
			b.WriteString(strconv.FormatBool(v))
			return
		}
	case "!!int", "!!float":
		if n.Style == 0 && json.Valid([]byte(n.Value)) {
			b.WriteString(n.Value)
			return
		}
	case "!!null":
		b.WriteString("null")
		return
	}
	writeString(b, n.Value)
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           //nolint:errcheck // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

// opaqueError says the policy's structure is built by an intrinsic function.
type opaqueError struct {
	where string
	fn    string
	line  int
	after bool // Terraform: known after apply
}

func (e *opaqueError) Error() string {
	if e.after {
		return fmt.Sprintf("%s (line %d) is known only after apply, so it cannot be checked from the plan", e.where, e.line)
	}
	return fmt.Sprintf("%s is built with %s (line %d): known only when the stack is deployed, so it cannot be checked before", e.where, e.fn, e.line)
}

func newOpaqueError(where string, n *yaml.Node) error {
	fn := n.Tag
	if _, ok := shortForms[fn]; !ok && n.Kind == yaml.MappingNode && len(n.Content) > 0 {
		fn = n.Content[0].Value
	}
	return &opaqueError{where: where, fn: fn, line: n.Line}
}

// converter turns a policy node into JSON text for trustpolicy.Parse, with intrinsic values
// replaced by placeholders it remembers.
type converter struct {
	b       bytes.Buffer
	opaque  []Opaque
	stmtPos []int
}

// Opaque is one intrinsic value the checker saw as a placeholder.
type Opaque struct {
	Placeholder string `json:"-"`
	Value       string `json:"value"` // long-form JSON
	Line        int    `json:"line"`
	Where       string `json:"where"` // e.g. "Principal.AWS"
}

func (c *converter) placeholder(n *yaml.Node, class, where string) {
	i := len(c.opaque) + 1
	var p string
	switch class {
	case "AWS":
		p = fmt.Sprintf("arn:aws:iam::000000000000:role/sidguard-opaque-%04d", i)
	case "Service":
		p = fmt.Sprintf("sidguard-opaque-%04d.amazonaws.com", i)
	case "Federated":
		p = fmt.Sprintf("arn:aws:iam::000000000000:oidc-provider/sidguard-opaque-%04d", i)
	default:
		p = fmt.Sprintf("sidguard-opaque-%04d", i)
	}
	c.opaque = append(c.opaque, Opaque{Placeholder: p, Value: longForm(n), Line: n.Line, Where: where})
	writeString(&c.b, p)
}

// convertPolicy converts a trust policy node. It returns the JSON text, the opaque values and
// the line of each statement.
func convertPolicy(n *yaml.Node) ([]byte, []Opaque, []int, error) {
	c := &converter{}
	if err := c.policy(n); err != nil {
		return nil, nil, nil, err
	}
	return c.b.Bytes(), c.opaque, c.stmtPos, nil
}

func (c *converter) policy(n *yaml.Node) error {
	n = deref(n)
	if intrinsic(n) {
		return newOpaqueError("the policy document", n)
	}
	if n.Kind != yaml.MappingNode {
		writeGeneric(&c.b, n) // let the policy parser say what is wrong
		return nil
	}
	return c.mapping(n, func(key string, v *yaml.Node) error {
		switch key {
		case "Statement":
			return c.statements(v)
		case "Version", "Id":
			return c.scalar(v, key)
		}
		c.generic(v, key)
		return nil
	})
}

func (c *converter) mapping(n *yaml.Node, value func(key string, v *yaml.Node) error) error {
	c.b.WriteString("{")
	for i := 0; i+1 < len(n.Content); i += 2 {
		if i > 0 {
			c.b.WriteString(",")
		}
		writeString(&c.b, n.Content[i].Value)
		c.b.WriteString(":")
		if err := value(n.Content[i].Value, n.Content[i+1]); err != nil {
			return err
		}
	}
	c.b.WriteString("}")
	return nil
}

func (c *converter) statements(n *yaml.Node) error {
	n = deref(n)
	if intrinsic(n) {
		return newOpaqueError("the Statement list", n)
	}
	if n.Kind != yaml.SequenceNode {
		c.stmtPos = append(c.stmtPos, n.Line)
		return c.statement(n, "Statement")
	}
	c.b.WriteString("[")
	for i, s := range n.Content {
		if i > 0 {
			c.b.WriteString(",")
		}
		c.stmtPos = append(c.stmtPos, deref(s).Line)
		if err := c.statement(s, fmt.Sprintf("Statement[%d]", i)); err != nil {
			return err
		}
	}
	c.b.WriteString("]")
	return nil
}

func (c *converter) statement(n *yaml.Node, where string) error {
	n = deref(n)
	if intrinsic(n) {
		return newOpaqueError(where, n)
	}
	if n.Kind != yaml.MappingNode {
		writeGeneric(&c.b, n)
		return nil
	}
	return c.mapping(n, func(key string, v *yaml.Node) error {
		w := where + "." + key
		switch key {
		case "Principal", "NotPrincipal":
			return c.principal(v, w)
		case "Condition":
			return c.condition(v, w)
		case "Effect", "Sid", "Action", "NotAction":
			return c.strings(v, w)
		}
		c.generic(v, w)
		return nil
	})
}

func (c *converter) principal(n *yaml.Node, where string) error {
	n = deref(n)
	if intrinsic(n) {
		return newOpaqueError(where, n)
	}
	if n.Kind != yaml.MappingNode {
		return c.scalar(n, where)
	}
	return c.mapping(n, func(class string, v *yaml.Node) error {
		v = deref(v)
		w := where + "." + class
		if intrinsic(v) {
			c.placeholder(v, class, w)
			return nil
		}
		if v.Kind != yaml.SequenceNode {
			writeGeneric(&c.b, v)
			return nil
		}
		c.b.WriteString("[")
		for i, e := range v.Content {
			if i > 0 {
				c.b.WriteString(",")
			}
			if e = deref(e); intrinsic(e) {
				c.placeholder(e, class, w)
			} else {
				writeGeneric(&c.b, e)
			}
		}
		c.b.WriteString("]")
		return nil
	})
}

func (c *converter) condition(n *yaml.Node, where string) error {
	n = deref(n)
	if intrinsic(n) {
		return newOpaqueError(where, n)
	}
	if n.Kind != yaml.MappingNode {
		writeGeneric(&c.b, n)
		return nil
	}
	return c.mapping(n, func(op string, keys *yaml.Node) error {
		keys = deref(keys)
		if intrinsic(keys) {
			return newOpaqueError(where+"."+op, keys)
		}
		if keys.Kind != yaml.MappingNode {
			writeGeneric(&c.b, keys)
			return nil
		}
		return c.mapping(keys, func(key string, v *yaml.Node) error {
			c.generic(v, where+"."+op+"."+key)
			return nil
		})
	})
}

// strings writes a string or list of strings; an intrinsic there is structural.
func (c *converter) strings(n *yaml.Node, where string) error {
	n = deref(n)
	if intrinsic(n) {
		return newOpaqueError(where, n)
	}
	if n.Kind == yaml.SequenceNode {
		for _, e := range n.Content {
			if intrinsic(deref(e)) {
				return newOpaqueError(where, deref(e))
			}
		}
	}
	writeGeneric(&c.b, n)
	return nil
}

func (c *converter) scalar(n *yaml.Node, where string) error {
	n = deref(n)
	if intrinsic(n) {
		return newOpaqueError(where, n)
	}
	writeGeneric(&c.b, n)
	return nil
}

// generic writes n with every intrinsic inside it replaced by a plain placeholder string.
func (c *converter) generic(n *yaml.Node, where string) {
	n = deref(n)
	switch {
	case intrinsic(n):
		c.placeholder(n, "", where)
	case n.Kind == yaml.MappingNode:
		c.mapping(n, func(key string, v *yaml.Node) error { //nolint:errcheck // generic never fails
			c.generic(v, where+"."+key)
			return nil
		})
	case n.Kind == yaml.SequenceNode:
		c.b.WriteString("[")
		for i, e := range n.Content {
			if i > 0 {
				c.b.WriteString(",")
			}
			c.generic(e, where)
		}
		c.b.WriteString("]")
	default:
		writeScalar(&c.b, n)
	}
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}
