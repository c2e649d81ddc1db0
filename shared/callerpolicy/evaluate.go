package callerpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrMalformed is wrapped by Parse's errors.
var ErrMalformed = errors.New("malformed identity policy")

// Policy is a parsed identity policy.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one statement of an identity policy.
type Statement struct {
	Sid         string
	Effect      string // "Allow" or "Deny"
	Actions     []string
	NotAction   bool // Actions lists NotAction
	Resources   []string
	NotResource bool
	Conditions  []Condition
	// Variables says policy variables are replaced: the statement's document has Version
	// 2012-10-17 (set by Parse; statements of several documents may be judged together).
	Variables bool
}

// Condition is one operator/key pair of a Condition block.
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string
	Values   []string
}

// Parse reads an identity policy (JSON).
func Parse(data []byte) (*Policy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(raw.Statement) == 0 {
		return nil, fmt.Errorf("%w: no Statement", ErrMalformed)
	}
	var stmts []json.RawMessage
	if raw.Statement[0] == '{' {
		stmts = []json.RawMessage{raw.Statement}
	} else if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
		return nil, fmt.Errorf("%w: Statement: want an object or a list of objects", ErrMalformed)
	}
	p := &Policy{Version: raw.Version}
	for i, s := range stmts {
		st, err := parseStatement(s)
		if err != nil {
			return nil, fmt.Errorf("%w: Statement[%d]: %v", ErrMalformed, i, err)
		}
		st.Variables = raw.Version == "2012-10-17"
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(data json.RawMessage) (Statement, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return Statement{}, errors.New("not an object")
	}
	var st Statement
	for k, v := range raw {
		var err error
		switch k {
		case "Sid":
			err = json.Unmarshal(v, &st.Sid)
		case "Effect":
			err = json.Unmarshal(v, &st.Effect)
			if err == nil && st.Effect != "Allow" && st.Effect != "Deny" {
				err = fmt.Errorf("Effect %q: want Allow or Deny", st.Effect)
			}
		case "Action", "NotAction":
			if st.Actions != nil {
				return st, errors.New("both Action and NotAction")
			}
			st.Actions, err = stringList(v)
			st.NotAction = k == "NotAction"
		case "Resource", "NotResource":
			if st.Resources != nil {
				return st, errors.New("both Resource and NotResource")
			}
			st.Resources, err = stringList(v)
			st.NotResource = k == "NotResource"
		case "Condition":
			st.Conditions, err = parseConditions(v)
		case "Principal", "NotPrincipal":
			return st, fmt.Errorf("%s: an identity policy names no principal (is this a trust policy?)", k)
		default:
			return st, fmt.Errorf("unknown element %q", k)
		}
		if err != nil {
			return st, fmt.Errorf("%s: %v", k, err)
		}
	}
	switch {
	case st.Effect == "":
		return st, errors.New("no Effect")
	case st.Actions == nil:
		return st, errors.New("no Action or NotAction")
	case st.Resources == nil:
		return st, errors.New("no Resource or NotResource")
	}
	return st, nil
}

func stringList(v json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(v, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(v, &many); err != nil {
		return nil, errors.New("want a string or a list of strings")
	}
	if many == nil {
		many = []string{}
	}
	return many, nil
}

func parseConditions(v json.RawMessage) ([]Condition, error) {
	var block map[string]map[string]json.RawMessage
	if err := json.Unmarshal(v, &block); err != nil {
		return nil, errors.New("want {operator: {key: value}}")
	}
	var out []Condition
	for op, keys := range block {
		for key, raw := range keys {
			vals, err := conditionValues(raw)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %v", op, key, err)
			}
			out = append(out, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	return out, nil
}

func conditionValues(raw json.RawMessage) ([]string, error) {
	var any1 any
	if err := json.Unmarshal(raw, &any1); err != nil {
		return nil, err
	}
	items, ok := any1.([]any)
	if !ok {
		items = []any{any1}
	}
	var out []string
	for _, it := range items {
		switch x := it.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, fmt.Sprint(x))
		case float64:
			out = append(out, string(json.Number(fmt.Sprint(x))))
		default:
			return nil, errors.New("want strings, numbers or booleans")
		}
	}
	return out, nil
}

// Request is one authorization request against an identity policy.
type Request struct {
	Action   string
	Resource string
	// Context holds the request's condition keys (keys compared case-insensitively).
	Context map[string][]string
	// Vars holds the values of policy variables such as aws:username or aws:PrincipalTag/K
	// (keys compared case-insensitively); a variable not here has no value.
	Vars map[string]string
}

// Decision is Evaluate's answer.
type Decision string

const (
	Allow        Decision = "allow"
	ExplicitDeny Decision = "explicit-deny"
	ImplicitDeny Decision = "implicit-deny"
)

// Result is the decision, and whether a condition the evaluator does not know could change it.
type Result struct {
	Decision  Decision
	Uncertain bool
}

type tri int8

const (
	no tri = iota
	yes
	maybe
)

// Evaluate decides req under p alone. Policy variables are replaced only in statements of a
// Version 2012-10-17 document; an older or missing Version takes "${...}" literally
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
func (p *Policy) Evaluate(req Request) Result {
	allow, deny := no, no
	for _, st := range p.Statements {
		m := st.matches(req, st.Variables)
		if m == no {
			continue
		}
		if st.Effect == "Deny" {
			deny = max(deny, m)
		} else {
			allow = max(allow, m)
		}
	}
	switch {
	case deny == yes:
		return Result{Decision: ExplicitDeny}
	case allow == yes:
		return Result{Decision: Allow, Uncertain: deny == maybe}
	case deny == maybe:
		return Result{Decision: ImplicitDeny, Uncertain: allow == maybe}
	}
	return Result{Decision: ImplicitDeny, Uncertain: allow == maybe}
}

func (st Statement) matches(req Request, variables bool) tri {
	if matchAny(st.Actions, req.Action, true) == st.NotAction {
		return no
	}
	if matchAny(st.Resources, req.Resource, false) == st.NotResource {
		return no
	}
	result := yes
	for _, c := range st.Conditions {
		switch c.eval(req, variables) {
		case no:
			return no
		case maybe:
			result = maybe
		}
	}
	return result
}

func matchAny(patterns []string, v string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			if glob(strings.ToLower(p), strings.ToLower(v)) {
				return true
			}
		} else if glob(p, v) {
			return true
		}
	}
	return false
}

// glob matches s against p, where * is any run of characters and ? any one character.
func glob(p, s string) bool { return matchTokens(tokens(p, false), []rune(s)) }

// token is one element of a wildcard pattern: a literal rune, or a wildcard (* or ?).
type token struct {
	r    rune
	wild bool
}

// tokens splits a pattern; with escapes, \x00 makes the next rune literal (see resolve).
func tokens(p string, escapes bool) []token {
	var toks []token
	pr := []rune(p)
	for i := 0; i < len(pr); i++ {
		switch {
		case escapes && pr[i] == '\x00' && i+1 < len(pr):
			i++
			toks = append(toks, token{r: pr[i]})
		case pr[i] == '*' || pr[i] == '?':
			toks = append(toks, token{r: pr[i], wild: true})
		default:
			toks = append(toks, token{r: pr[i]})
		}
	}
	return toks
}

// matchTokens is the linear backtracking wildcard match: on a mismatch it returns to the last
// star and lets it take one more character.
func matchTokens(toks []token, s []rune) bool {
	px, sx, star, mark := 0, 0, -1, 0
	for sx < len(s) {
		switch {
		case px < len(toks) && ((toks[px].wild && toks[px].r == '?') || (!toks[px].wild && toks[px].r == s[sx])):
			px++
			sx++
		case px < len(toks) && toks[px].wild && toks[px].r == '*':
			star, mark = px, sx
			px++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(toks) && toks[px].wild && toks[px].r == '*' {
		px++
	}
	return px == len(toks)
}

func lookup(m map[string][]string, key string) ([]string, bool) {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func (c Condition) eval(req Request, variables bool) tri {
	op := c.Operator
	set := ""
	if q, rest, ok := strings.Cut(op, ":"); ok {
		set, op = q, rest
		if set != "ForAnyValue" && set != "ForAllValues" {
			return maybe
		}
	}
	ifExists := strings.HasSuffix(op, "IfExists")
	op = strings.TrimSuffix(op, "IfExists")
	values, present := lookup(req.Context, c.Key)
	if op == "Null" {
		if set != "" || ifExists || len(c.Values) != 1 {
			return maybe
		}
		want := strings.EqualFold(c.Values[0], "true")
		return boolTri(want != present)
	}
	cmp, negated, like, ok := stringOperator(op)
	if !ok {
		return maybe
	}
	if !present || len(values) == 0 {
		switch {
		case ifExists:
			return yes
		case set == "ForAllValues":
			return yes
		case set == "ForAnyValue":
			return no
		case negated:
			return yes // a negated operator matches when the key is absent
		}
		return no
	}
	// Resolve the policy's values; one that names a variable without a value matches nothing.
	var pats []string
	for _, v := range c.Values {
		if !variables {
			pats = append(pats, v)
		} else if r, ok := resolve(v, req.Vars, like); ok {
			pats = append(pats, r)
		}
	}
	if len(pats) == 0 {
		return no
	}
	matchOne := func(v string) bool {
		for _, p := range pats {
			if cmp(p, v) {
				return true
			}
		}
		return false
	}
	test := func(v string) bool { return matchOne(v) != negated }
	switch set {
	case "ForAllValues":
		for _, v := range values {
			if !test(v) {
				return no
			}
		}
		return yes
	case "ForAnyValue":
		for _, v := range values {
			if test(v) {
				return yes
			}
		}
		return no
	}
	if len(values) != 1 {
		return maybe // a multivalued key without a set qualifier
	}
	return boolTri(test(values[0]))
}

func boolTri(b bool) tri {
	if b {
		return yes
	}
	return no
}

func stringOperator(op string) (cmp func(p, v string) bool, negated, like, ok bool) {
	switch op {
	case "StringEquals":
		return func(p, v string) bool { return p == v }, false, false, true
	case "StringNotEquals":
		return func(p, v string) bool { return p == v }, true, false, true
	case "StringEqualsIgnoreCase":
		return strings.EqualFold, false, false, true
	case "StringNotEqualsIgnoreCase":
		return strings.EqualFold, true, false, true
	case "StringLike":
		return likeMatch, false, true, true
	case "StringNotLike":
		return likeMatch, true, true, true
	}
	return nil, false, false, false
}

// likeMatch is glob where the escapes ${*} ${?} ${$} were turned into \x00-marked literals by
// resolve.
func likeMatch(p, v string) bool { return matchTokens(tokens(p, true), []rune(v)) }

// resolve replaces the policy variables in v; ok is false when one has no value and no default.
// In like patterns, ${*}, ${?} and ${$} become literal characters (marked with \x00).
func resolve(v string, vars map[string]string, like bool) (string, bool) {
	var b strings.Builder
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			b.WriteString(v)
			return b.String(), true
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 {
			b.WriteString(v)
			return b.String(), true
		}
		b.WriteString(v[:i])
		inner := v[i+2 : i+j]
		v = v[i+j+1:]
		switch inner {
		case "*", "?", "$":
			if like {
				b.WriteByte('\x00')
			}
			b.WriteString(inner)
			continue
		}
		name, def, hasDef := strings.Cut(inner, ",")
		name = strings.TrimSpace(name)
		val, found := "", false
		for k, x := range vars {
			if strings.EqualFold(k, name) {
				val, found = x, true
				break
			}
		}
		if !found && hasDef {
			def = strings.TrimSpace(def)
			if len(def) >= 2 && def[0] == '\'' && def[len(def)-1] == '\'' {
				val, found = def[1:len(def)-1], true
			}
		}
		if !found {
			return "", false
		}
		if like { // a variable's value is literal text, not a pattern
			for _, r := range val {
				if r == '*' || r == '?' {
					b.WriteByte('\x00')
				}
				b.WriteRune(r)
			}
		} else {
			b.WriteString(val)
		}
	}
}
