package trustpolicy

import (
	"fmt"
)

// Document is a parsed trust policy. It keeps the source layout (member order, spelling,
// string-vs-array form, unknown members) so that MarshalJSON changes nothing but whitespace
// outside strings. A Document is immutable: Fix returns a new one.
type Document struct {
	root   node        // the whole policy object
	stmts  []statement // semantic view, one per Statement element
	single bool        // "Statement" was one object rather than an array
	size   int         // Size(), computed when the document is built
}

// statement is the semantic view of one Statement element.
type statement struct {
	node       *node // the element in root
	path       string
	sid        string
	hasSid     bool
	allow      bool // Effect "Allow"; false means "Deny"
	principals []principal
	wildcard   bool     // "Principal": "*"
	actions    []string // Action or NotAction values
	notAction  bool
	conds      []condition
}

// principal is one value of a Principal map.
type principal struct {
	kind  string // "AWS", "Service", "Federated", "CanonicalUser"
	value string
	class class
}

// String renders the principal the way findings name it, e.g. "AWS:arn:aws:iam::1:root".
func (p principal) String() string { return p.kind + ":" + p.value }

// Version returns the policy's Version element ("" when absent).
func (d *Document) Version() string {
	if v, ok := d.root.get("Version"); ok {
		return v.str
	}
	return ""
}

// Len returns the number of statements.
func (d *Document) Len() int { return len(d.stmts) }

// MarshalJSON returns the policy as compact JSON: whitespace outside strings removed, member
// order and string spelling kept, no HTML escaping.
func (d *Document) MarshalJSON() ([]byte, error) {
	if d == nil {
		return []byte("null"), nil
	}
	return appendNode(make([]byte, 0, d.size+d.size/8), &d.root), nil
}

// String returns the compact JSON text.
func (d *Document) String() string {
	b, _ := d.MarshalJSON()
	return string(b)
}

// Size returns the length IAM counts against the trust-policy quota: the number of Unicode code
// points of the compact JSON (whitespace outside strings is not counted; whitespace inside
// strings is, which is the conservative reading of the quota rules).
func (d *Document) Size() int { return d.size }

// Parse decodes a trust policy and validates it the way IAM does. Every error wraps
// ErrMalformed and names the offending element, e.g. `Statement[1].Effect`.
func Parse(data []byte) (*Document, error) {
	root, err := parseJSON(string(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return build(root)
}

func malformed(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, path, fmt.Sprintf(format, args...))
}

// build validates root and derives the semantic view.
func build(root node) (*Document, error) {
	if root.kind != kObject {
		return nil, fmt.Errorf("%w: policy: must be a JSON object, not %s", ErrMalformed, root.kind)
	}
	d := &Document{root: root}
	var stmtNode *node
	for i := range d.root.obj {
		m := &d.root.obj[i]
		switch m.key {
		case "Version":
			if m.val.kind != kString || (m.val.str != "2012-10-17" && m.val.str != "2008-10-17") {
				return nil, malformed("Version", `must be "2012-10-17" or "2008-10-17", got %s`, m.val.raw)
			}
		case "Id":
			if m.val.kind != kString {
				return nil, malformed("Id", "must be a string, not %s", m.val.kind)
			}
		case "Statement":
			stmtNode = &m.val
		}
	}
	if stmtNode == nil {
		return nil, malformed("Statement", "missing")
	}
	switch stmtNode.kind {
	case kObject:
		d.single = true
		d.stmts = make([]statement, 1)
		if err := parseStatement(&d.stmts[0], stmtNode, "Statement"); err != nil {
			return nil, err
		}
	case kArray:
		d.stmts = make([]statement, len(stmtNode.arr))
		for i := range stmtNode.arr {
			if err := parseStatement(&d.stmts[i], &stmtNode.arr[i], fmt.Sprintf("Statement[%d]", i)); err != nil {
				return nil, err
			}
		}
	default:
		return nil, malformed("Statement", "must be an object or an array of objects, not %s", stmtNode.kind)
	}
	for i := range d.stmts {
		if !d.stmts[i].hasSid || d.stmts[i].sid == "" {
			continue
		}
		for j := 0; j < i; j++ {
			if d.stmts[j].hasSid && d.stmts[j].sid == d.stmts[i].sid {
				return nil, malformed(d.stmts[i].path+".Sid", "%q is not unique in the policy", d.stmts[i].sid)
			}
		}
	}
	d.size = compactLen(&d.root)
	return d, nil
}

func parseStatement(st *statement, n *node, path string) error {
	st.node = n
	st.path = path
	if n.kind != kObject {
		return malformed(path, "must be an object, not %s", n.kind)
	}
	var hasEffect, hasPrincipal, hasAction bool
	for i := range n.obj {
		m := &n.obj[i]
		p := path + "." + m.key
		switch m.key {
		case "Sid":
			if m.val.kind != kString {
				return malformed(p, "must be a string, not %s", m.val.kind)
			}
			if !validSid(m.val.str) {
				return malformed(p, "%s: IAM allows only the characters [0-9A-Za-z]", m.val.raw)
			}
			st.sid, st.hasSid = m.val.str, true
		case "Effect":
			if m.val.kind != kString || (m.val.str != "Allow" && m.val.str != "Deny") {
				return malformed(p, `must be "Allow" or "Deny", got %s`, rawOf(&m.val))
			}
			st.allow = m.val.str == "Allow"
			hasEffect = true
		case "Principal":
			if err := parsePrincipal(st, &m.val, p); err != nil {
				return err
			}
			hasPrincipal = true
		case "Action", "NotAction":
			if hasAction {
				return malformed(p, "a statement may have Action or NotAction, not both")
			}
			hasAction = true
			st.notAction = m.key == "NotAction"
			vals, err := stringList(&m.val, p)
			if err != nil {
				return err
			}
			st.actions = vals
		case "Condition":
			conds, err := parseConditions(&m.val, p)
			if err != nil {
				return err
			}
			st.conds = conds
		case "Resource", "NotResource", "NotPrincipal":
			return malformed(p, "not allowed in a role trust policy")
		}
	}
	switch {
	case !hasEffect:
		return malformed(path+".Effect", "missing")
	case !hasPrincipal:
		return malformed(path+".Principal", "missing (a trust policy statement must name a principal)")
	case !hasAction:
		return malformed(path+".Action", "missing (need Action or NotAction)")
	}
	return nil
}

func rawOf(n *node) string {
	if n.kind == kObject || n.kind == kArray {
		return n.kind.String()
	}
	return n.raw
}

func validSid(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// stringList reads a string or a non-empty array of strings.
func stringList(n *node, path string) ([]string, error) {
	switch n.kind {
	case kString:
		return []string{n.str}, nil
	case kArray:
		if len(n.arr) == 0 {
			return nil, malformed(path, "must not be an empty array")
		}
		out := make([]string, len(n.arr))
		for i := range n.arr {
			if n.arr[i].kind != kString {
				return nil, malformed(fmt.Sprintf("%s[%d]", path, i), "must be a string, not %s", n.arr[i].kind)
			}
			out[i] = n.arr[i].str
		}
		return out, nil
	default:
		return nil, malformed(path, "must be a string or an array of strings, not %s", n.kind)
	}
}

func parsePrincipal(st *statement, n *node, path string) error {
	switch n.kind {
	case kString:
		if n.str != "*" {
			return malformed(path, `must be "*" or an object, got %s`, n.raw)
		}
		st.wildcard = true
		return nil
	case kObject:
	default:
		return malformed(path, `must be "*" or an object, not %s`, n.kind)
	}
	if len(n.obj) == 0 {
		return malformed(path, "must name at least one principal")
	}
	for i := range n.obj {
		m := &n.obj[i]
		p := path + "." + m.key
		switch m.key {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			return malformed(p, `unknown principal type (IAM accepts "AWS", "Service", "Federated", "CanonicalUser")`)
		}
		vals, err := stringList(&m.val, p)
		if err != nil {
			return err
		}
		for _, v := range vals {
			if v == "" {
				return malformed(p, "empty principal")
			}
			if v == "*" && m.key != "AWS" {
				return malformed(p, `"*" is only valid as "Principal": "*" or {"AWS": "*"}`)
			}
			st.principals = append(st.principals, principal{kind: m.key, value: v, class: classify(m.key, v)})
		}
	}
	return nil
}
