package trustpolicy

import (
	"fmt"
	"strings"
)

// Document is a parsed trust policy. It keeps the source layout (member order, spelling,
// string-vs-array form, unknown members) so that MarshalJSON changes nothing but whitespace
// outside strings. A Document is immutable: Fix returns a new one.
type Document struct {
	root   node        // the whole policy object
	stmts  []statement // semantic view, one per Statement element
	single bool        // "Statement" was one object rather than an array
	size   int         // Size(), computed when the document is built
	// movedTags: Fix built this document by moving sts:TagSession/sts:SetContext to a sibling.
	movedTags bool
}

// statement is the semantic view of one Statement element.
type statement struct {
	node       *node // the element in root
	where      where
	sid        string
	hasSid     bool
	allow      bool // Effect "Allow"; false means "Deny"
	principals []principal
	wildcard   bool  // "Principal": "*"
	actions    *node // Action or NotAction value (a string or an array of strings)
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
	return build(root, nil)
}

// malformed builds a Parse error; path is a string or a where.
func malformed(path any, format string, args ...any) error {
	return fmt.Errorf("%w: %v: %s", ErrMalformed, path, fmt.Sprintf(format, args...))
}

// where locates an element for error messages without building the string until an error
// needs it (Parse allocates nothing for paths on valid input).
type where struct {
	stmt int       // statement index; -1 when Statement is a single object
	keys [3]string // member names below the statement
	n    int
	elem int // array element index below the last key; -1 for none
}

func stmtWhere(i int) where { return where{stmt: i, elem: -1} }

func (w where) with(key string) where {
	w.keys[w.n] = key
	w.n++
	w.elem = -1
	return w
}

func (w where) at(i int) where {
	w.elem = i
	return w
}

func (w where) String() string {
	var b strings.Builder
	b.WriteString("Statement")
	if w.stmt >= 0 {
		fmt.Fprintf(&b, "[%d]", w.stmt)
	}
	for _, k := range w.keys[:w.n] {
		b.WriteString(".")
		b.WriteString(k)
	}
	if w.elem >= 0 {
		fmt.Fprintf(&b, "[%d]", w.elem)
	}
	return b.String()
}

// build validates root and derives the semantic view. reuse, when not nil, holds for each
// statement element the already-derived view of an unchanged statement (Fix), or nil.
func build(root node, reuse []*statement) (*Document, error) {
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
		if err := parseStatement(&d.stmts[0], stmtNode, stmtWhere(-1), reused(reuse, 0)); err != nil {
			return nil, err
		}
	case kArray:
		d.stmts = make([]statement, len(stmtNode.arr))
		for i := range stmtNode.arr {
			if err := parseStatement(&d.stmts[i], &stmtNode.arr[i], stmtWhere(i), reused(reuse, i)); err != nil {
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
				return nil, malformed(d.stmts[i].where.with("Sid"), "%q is not unique in the policy", d.stmts[i].sid)
			}
		}
	}
	d.size = compactLen(&d.root)
	return d, nil
}

func reused(r []*statement, i int) *statement {
	if i < len(r) {
		return r[i]
	}
	return nil
}

func parseStatement(st *statement, n *node, w where, old *statement) error {
	if old != nil {
		*st = *old
		st.node, st.where = n, w
		return nil
	}
	st.node = n
	st.where = w
	if n.kind != kObject {
		return malformed(w, "must be an object, not %s", n.kind)
	}
	var hasEffect, hasPrincipal, hasAction bool
	for i := range n.obj {
		m := &n.obj[i]
		switch m.key {
		case "Sid":
			if m.val.kind != kString {
				return malformed(w.with(m.key), "must be a string, not %s", m.val.kind)
			}
			if !validSid(m.val.str) {
				return malformed(w.with(m.key), "%s: IAM allows only the characters [0-9A-Za-z]", m.val.raw)
			}
			st.sid, st.hasSid = m.val.str, true
		case "Effect":
			if m.val.kind != kString || (m.val.str != "Allow" && m.val.str != "Deny") {
				return malformed(w.with(m.key), `must be "Allow" or "Deny", got %s`, rawOf(&m.val))
			}
			st.allow = m.val.str == "Allow"
			hasEffect = true
		case "Principal":
			if err := parsePrincipal(st, &m.val, w.with(m.key)); err != nil {
				return err
			}
			hasPrincipal = true
		case "Action", "NotAction":
			if hasAction {
				return malformed(w.with(m.key), "a statement may have Action or NotAction, not both")
			}
			hasAction = true
			st.notAction = m.key == "NotAction"
			if err := checkStringList(&m.val, w.with(m.key)); err != nil {
				return err
			}
			st.actions = &m.val
		case "Condition":
			conds, err := parseConditions(&m.val, w.with(m.key))
			if err != nil {
				return err
			}
			st.conds = conds
		case "Resource", "NotResource", "NotPrincipal":
			return malformed(w.with(m.key), "not allowed in a role trust policy")
		}
	}
	switch {
	case !hasEffect:
		return malformed(w.with("Effect"), "missing")
	case !hasPrincipal:
		return malformed(w.with("Principal"), "missing (a trust policy statement must name a principal)")
	case !hasAction:
		return malformed(w.with("Action"), "missing (need Action or NotAction)")
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

// checkStringList accepts a string or a non-empty array of strings.
func checkStringList(n *node, w where) error {
	switch n.kind {
	case kString:
		return nil
	case kArray:
		if len(n.arr) == 0 {
			return malformed(w, "must not be an empty array")
		}
		for i := range n.arr {
			if n.arr[i].kind != kString {
				return malformed(w.at(i), "must be a string, not %s", n.arr[i].kind)
			}
		}
		return nil
	default:
		return malformed(w, "must be a string or an array of strings, not %s", n.kind)
	}
}

// strings returns the values of a string or array-of-strings node.
func eachString(n *node, f func(string) bool) {
	if n.kind == kString {
		f(n.str)
		return
	}
	for i := range n.arr {
		if !f(n.arr[i].str) {
			return
		}
	}
}

func parsePrincipal(st *statement, n *node, w where) error {
	switch n.kind {
	case kString:
		if n.str != "*" {
			return malformed(w, `must be "*" or an object, got %s`, n.raw)
		}
		st.wildcard = true
		return nil
	case kObject:
	default:
		return malformed(w, `must be "*" or an object, not %s`, n.kind)
	}
	if len(n.obj) == 0 {
		return malformed(w, "must name at least one principal")
	}
	count := 0
	for i := range n.obj {
		m := &n.obj[i]
		switch m.key {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			return malformed(w.with(m.key), `unknown principal type (IAM accepts "AWS", "Service", "Federated", "CanonicalUser")`)
		}
		if err := checkStringList(&m.val, w.with(m.key)); err != nil {
			return err
		}
		if m.val.kind == kArray {
			count += len(m.val.arr)
		} else {
			count++
		}
	}
	st.principals = make([]principal, 0, count)
	for i := range n.obj {
		m := &n.obj[i]
		var err error
		eachString(&m.val, func(v string) bool {
			if v == "" {
				err = malformed(w.with(m.key), "empty principal")
			} else if v == "*" && m.key != "AWS" {
				err = malformed(w.with(m.key), `"*" is only valid as "Principal": "*" or {"AWS": "*"}`)
			} else if v != "*" && strings.IndexByte(v, '*') >= 0 {
				// IAM: "You cannot use a wildcard to match part of a principal name or ARN"
				// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
				err = malformed(w.with(m.key), `%q: IAM does not accept wildcards in part of a principal; name the principals, or use {"AWS": "*"} with an ArnLike aws:PrincipalArn condition`, v)
			}
			st.principals = append(st.principals, principal{kind: m.key, value: v, class: classify(m.key, v)})
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
