package trustpolicy

import (
	"fmt"
	"strconv"
	"strings"
)

// Fix returns d brought into compliance with r, and the findings of Check(d, r) with Fixed set
// on those the result resolves. It never mutates d and returns d itself when nothing changes.
// When every correct rewrite would exceed r's size limit it returns d with a CodeTooLarge
// finding.
//
// Rewrites, in order of preference (the first that fits the size limit is returned):
//
//  1. the full rewrite: statements mixing principal classes are split, sts:TagSession and
//     sts:SetContext move to a sibling statement under the original conditions (a hedge: the
//     Service Authorization Reference does not list sts:SourceIdentity for them);
//  2. the same without moving sts:TagSession/sts:SetContext: they stay beside the assume
//     action under the new condition. Still correct: nobody gains access (the condition is
//     AND'ed), and IAM evaluates the request's whole context for every action of an
//     AssumeRole call (AWS's own trust policies grant sts:TagSession and sts:SetSourceIdentity
//     under conditions on other keys), so a caller that passes a source identity keeps its
//     session tags. It adds only the action and the condition.
//
// Splitting mixed statements and the NotAction sibling are never dropped: without them a
// Service principal would get the condition, or sts:SetSourceIdentity would not be granted.
func Fix(d *Document, r Rules) (*Document, []Finding) {
	out, fs := fix(d, r)
	return out, fs
}

func fix(d *Document, r Rules) (*Document, []Finding) {
	plans := analyze(d, r)
	fs := findings(d, plans, r)
	changed := false
	for i := range plans {
		if plans[i].needsFix() {
			changed = true
			break
		}
	}
	if !changed {
		return d, fs
	}
	limit := r.sizeLimit()
	var out *Document
	for _, moveTags := range [...]bool{true, false} {
		o, err := d.apply(plans, r, moveTags)
		if err != nil {
			// A bug, not a user error: never hand back a policy we could not re-validate.
			return d, append(fs, Finding{Code: CodeInternalError, Statement: -1, Message: "internal error, policy left as is: the fixed policy did not validate: " + err.Error()})
		}
		if out == nil || o.size < out.size {
			out = o
		}
		if out.size <= limit || !o.movedTags {
			break
		}
	}
	if out.size > limit {
		return d, append(fs, Finding{
			Code:      CodeTooLarge,
			Statement: -1,
			Message:   fmt.Sprintf("the fixed policy would be %d characters, over the trust-policy quota of %d (it is %d now); left as is", out.size, limit, d.size),
		})
	}
	for k := range fs {
		if fs[k].Code.Fixable() {
			fs[k].Fixed = true
		}
	}
	return out, fs
}

// fixer builds the statements of the fixed document.
type fixer struct {
	d        *Document
	r        Rules
	moveTags bool     // move sts:TagSession/sts:SetContext to a sibling when adding the condition
	moved    bool     // some were moved
	sids     []string // every Sid in use, lower-cased (IAM compares them case-sensitively; we are stricter)
}

func (d *Document) apply(plans []stmtPlan, r Rules, moveTags bool) (*Document, error) {
	f := &fixer{d: d, r: r, moveTags: moveTags}
	for i := range d.stmts {
		if d.stmts[i].sid != "" {
			f.sids = append(f.sids, strings.ToLower(d.stmts[i].sid))
		}
	}
	stmts := make([]node, 0, len(d.stmts)+2)
	reuse := make([]*statement, 0, len(d.stmts)+2)
	for i := range d.stmts {
		st := &d.stmts[i]
		if !plans[i].needsFix() {
			stmts = append(stmts, *st.node)
			reuse = append(reuse, st)
			continue
		}
		stmts = f.fixStatement(stmts, st, &plans[i])
		for len(reuse) < len(stmts) {
			reuse = append(reuse, nil)
		}
	}
	var stmtVal node
	if d.single && len(stmts) == 1 {
		stmtVal = stmts[0]
	} else {
		stmtVal = node{kind: kArray, arr: stmts}
	}
	root := node{kind: kObject, obj: make([]member, len(d.root.obj))}
	copy(root.obj, d.root.obj)
	for i := range root.obj {
		if root.obj[i].key == "Statement" {
			root.obj[i].val = stmtVal
		}
	}
	out, err := build(root, reuse)
	if out != nil {
		out.movedTags = f.moved
	}
	return out, err
}

// fixStatement appends the fixed form of st (one or more statements) to out.
func (f *fixer) fixStatement(out []node, st *statement, pl *stmtPlan) []node {
	// Group principals by the change they need, in order of first appearance.
	var keys []change
	groupOf := make([]int, len(st.principals))
	for j := range st.principals {
		var c change
		if pl.changes != nil {
			c = pl.changes[j]
		}
		g := -1
		for k, kc := range keys {
			if kc == c {
				g = k
			}
		}
		if g < 0 {
			keys = append(keys, c)
			g = len(keys) - 1
		}
		groupOf[j] = g
	}
	if len(keys) == 1 {
		return f.patch(out, st, nil, keys[0], sidKeep)
	}
	// The original statement (and its Sid) keeps the principals that need no change; if all
	// need some change, it keeps the first group. The other groups become new statements.
	first := 0
	for k, c := range keys {
		if c.none() {
			first = k
			break
		}
	}
	out = f.patch(out, st, members(groupOf, first), keys[first], sidKeep)
	for k, c := range keys {
		if k != first {
			out = f.patch(out, st, members(groupOf, k), c, sidNew)
		}
	}
	return out
}

func members(groupOf []int, g int) []bool {
	in := make([]bool, len(groupOf))
	for j, k := range groupOf {
		in[j] = k == g
	}
	return in
}

type sidMode uint8

const (
	sidKeep sidMode = iota
	sidNew
)

// patch appends st restricted to the principals in keep (nil: all) with change c applied, plus
// the sibling statements c needs.
func (f *fixer) patch(out []node, st *statement, keep []bool, c change, sm sidMode) []node {
	var tagActions []node // sts:TagSession / sts:SetContext moved to a sibling statement
	var pNode, cNode node // the written Principal and Condition, for siblings
	base := st.sid
	n := node{kind: kObject, obj: make([]member, 0, len(st.node.obj)+1)}
	sid := ""
	if sm == sidNew && base != "" {
		sid = f.newSid(base + "SrcId")
	}
	hasCond := false // the written statement has a Condition
	for _, m := range st.node.obj {
		switch m.key {
		case "Sid":
			if sm == sidNew {
				if sid == "" {
					continue
				}
				m.val = strNode(sid)
			}
		case "Principal":
			if keep != nil {
				m.val = principalSubset(st.node, keep)
			}
			pNode = m.val
		case "Action":
			if c.cond && f.moveTags {
				m.val, tagActions = splitTagActions(m.val)
				f.moved = f.moved || len(tagActions) > 0
			}
			if c.ssi {
				m.val = appendAction(m.val)
			}
		case "Condition":
			hasCond = true
			if c.cond {
				m.val = f.addSICondition(m.val)
			}
			cNode = m.val
		}
		n.obj = append(n.obj, m)
	}
	if c.cond && !hasCond {
		cNode, hasCond = f.addSICondition(node{kind: kObject}), true
		n.obj = append(n.obj, member{key: "Condition", raw: `"Condition"`, val: cNode})
	}
	out = append(out, n)
	siblingSid := func(suffix string) string {
		if base == "" {
			return ""
		}
		return f.newSid(base + suffix)
	}
	if c.ssi && st.notAction {
		// NotAction excludes sts:SetSourceIdentity: grant exactly that action, under the same
		// principals and (fixed) conditions, in a sibling statement.
		out = append(out, sibling(siblingSid("SetSrcId"), pNode, ssiNode, cNode, hasCond))
	}
	if len(tagActions) > 0 {
		// sts:SourceIdentity is not a documented key of these actions (Service Authorization
		// Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html), so the new
		// condition might refuse them: keep them under the original conditions.
		var orig node
		hasOrig := false
		if on, ok := st.node.get("Condition"); ok {
			orig, hasOrig = *on, true
		}
		act := node{kind: kArray, arr: tagActions}
		if len(tagActions) == 1 {
			act = tagActions[0]
		}
		out = append(out, sibling(siblingSid("Tags"), pNode, act, orig, hasOrig))
	}
	return out
}

func sibling(sid string, principal, action, cond node, hasCond bool) node {
	n := node{kind: kObject, obj: make([]member, 0, 5)}
	if sid != "" {
		n.obj = append(n.obj, member{key: "Sid", raw: `"Sid"`, val: strNode(sid)})
	}
	n.obj = append(n.obj,
		member{key: "Effect", raw: `"Effect"`, val: allowNode},
		member{key: "Principal", raw: `"Principal"`, val: principal},
		member{key: "Action", raw: `"Action"`, val: action})
	if hasCond {
		n.obj = append(n.obj, member{key: "Condition", raw: `"Condition"`, val: cond})
	}
	return n
}

// newSid returns a Sid not yet in use, starting from want.
func (f *fixer) newSid(want string) string {
	s := want
	for k := 2; ; k++ {
		taken := false
		for _, t := range f.sids {
			if t == strings.ToLower(s) {
				taken = true
				break
			}
		}
		if !taken {
			f.sids = append(f.sids, strings.ToLower(s))
			return s
		}
		s = want + strconv.Itoa(k)
	}
}

// principalSubset rebuilds a Principal object keeping only the values whose index (in parse
// order) is set in keep. Kinds left empty are dropped; array form is kept.
func principalSubset(stmt *node, keep []bool) node {
	pn, _ := stmt.get("Principal")
	out := node{kind: kObject}
	j := 0
	for _, m := range pn.obj {
		switch m.val.kind {
		case kString:
			if keep[j] {
				out.obj = append(out.obj, m)
			}
			j++
		case kArray:
			var vals []node
			for _, v := range m.val.arr {
				if keep[j] {
					vals = append(vals, v)
				}
				j++
			}
			if len(vals) > 0 {
				m.val = node{kind: kArray, arr: vals}
				out.obj = append(out.obj, m)
			}
		}
	}
	return out
}

// Nodes the fix writes, built once.
var (
	ssiNode        = strNode(actSetSourceIdentity)
	anyPatternNode = strNode("*")
	allowNode      = strNode("Allow")
)

// appendAction adds sts:SetSourceIdentity to an Action value (a string becomes an array).
func appendAction(a node) node {
	add := ssiNode
	if a.kind == kString {
		return node{kind: kArray, arr: []node{a, add}}
	}
	arr := make([]node, len(a.arr), len(a.arr)+1)
	copy(arr, a.arr)
	return node{kind: kArray, arr: append(arr, add)}
}

// splitTagActions removes literal sts:TagSession and sts:SetContext from an Action array that
// keeps at least one other action.
func splitTagActions(a node) (node, []node) {
	if a.kind != kArray {
		return a, nil
	}
	var keep, moved []node
	for _, v := range a.arr {
		if strings.EqualFold(v.str, actTagSession) || strings.EqualFold(v.str, actSetContext) {
			moved = append(moved, v)
		} else {
			keep = append(keep, v)
		}
	}
	if len(moved) == 0 || len(keep) == 0 {
		return a, nil
	}
	if len(keep) == 1 {
		return keep[0], moved
	}
	return node{kind: kArray, arr: keep}, moved
}

// addSICondition merges "StringLike": {"sts:SourceIdentity": PATTERNS} into a Condition object.
func (f *fixer) addSICondition(c node) node {
	pats := f.r.patterns()
	var val node
	switch {
	case len(pats) == 1 && pats[0] == "*":
		val = anyPatternNode
	case len(pats) == 1:
		val = strNode(pats[0])
	default:
		val = node{kind: kArray, arr: make([]node, len(pats))}
		for i, p := range pats {
			val.arr[i] = strNode(p)
		}
	}
	key := member{key: keySTSSourceIdentity, raw: `"sts:SourceIdentity"`, val: val}
	out := node{kind: kObject, obj: make([]member, len(c.obj), len(c.obj)+1)}
	copy(out.obj, c.obj)
	for i := range out.obj {
		if out.obj[i].key == "StringLike" && out.obj[i].val.kind == kObject {
			sl := out.obj[i].val
			obj := make([]member, len(sl.obj), len(sl.obj)+1)
			copy(obj, sl.obj)
			out.obj[i].val = node{kind: kObject, obj: append(obj, key)}
			return out
		}
	}
	out.obj = append(out.obj, member{key: "StringLike", raw: `"StringLike"`, val: node{kind: kObject, obj: []member{key}}})
	return out
}
