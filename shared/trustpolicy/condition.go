package trustpolicy

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opFamily groups condition operators by how they compare values.
type opFamily uint8

const (
	famUnknown opFamily = iota
	famString
	famStringIgnoreCase
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

// cmpKind is the comparison a numeric or date operator makes.
type cmpKind uint8

const (
	cmpEq cmpKind = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type opInfo struct {
	fam     opFamily
	negated bool
	cmp     cmpKind
}

// baseOperators are IAM's condition operators without the IfExists suffix and set prefixes.
var baseOperators = map[string]opInfo{
	"StringEquals":              {fam: famString},
	"StringNotEquals":           {fam: famString, negated: true},
	"StringEqualsIgnoreCase":    {fam: famStringIgnoreCase},
	"StringNotEqualsIgnoreCase": {fam: famStringIgnoreCase, negated: true},
	"StringLike":                {fam: famStringLike},
	"StringNotLike":             {fam: famStringLike, negated: true},
	"NumericEquals":             {fam: famNumeric},
	"NumericNotEquals":          {fam: famNumeric, negated: true},
	"NumericLessThan":           {fam: famNumeric, cmp: cmpLt},
	"NumericLessThanEquals":     {fam: famNumeric, cmp: cmpLe},
	"NumericGreaterThan":        {fam: famNumeric, cmp: cmpGt},
	"NumericGreaterThanEquals":  {fam: famNumeric, cmp: cmpGe},
	"DateEquals":                {fam: famDate},
	"DateNotEquals":             {fam: famDate, negated: true},
	"DateLessThan":              {fam: famDate, cmp: cmpLt},
	"DateLessThanEquals":        {fam: famDate, cmp: cmpLe},
	"DateGreaterThan":           {fam: famDate, cmp: cmpGt},
	"DateGreaterThanEquals":     {fam: famDate, cmp: cmpGe},
	"Bool":                      {fam: famBool},
	"BinaryEquals":              {fam: famBinary},
	"IpAddress":                 {fam: famIP},
	"NotIpAddress":              {fam: famIP, negated: true},
	"ArnEquals":                 {fam: famArn},
	"ArnNotEquals":              {fam: famArn, negated: true},
	"ArnLike":                   {fam: famArn},
	"ArnNotLike":                {fam: famArn, negated: true},
	"Null":                      {fam: famNull},
}

type setQual uint8

const (
	setNone setQual = iota
	setForAll
	setForAny
)

// condition is one (operator, key, values) triple of a Condition block.
type condition struct {
	op       string // operator as written, e.g. "ForAnyValue:StringLikeIfExists"
	info     opInfo // zero (famUnknown) for an operator IAM does not define
	set      setQual
	ifExists bool
	key      string
	values   []string // strings decoded; numbers and booleans as written
}

// parseOperator splits an operator name. It rejects names that equal a known operator only
// when letter case is ignored (IAM: "Invalid Condition type : stringEquals"). A name that is
// not an IAM operator in any spelling is kept and treated as unknown.
func parseOperator(name string, path where) (condition, error) {
	c := condition{op: name}
	rest := name
	for _, q := range []struct {
		prefix string
		set    setQual
	}{{"ForAllValues:", setForAll}, {"ForAnyValue:", setForAny}} {
		if len(rest) >= len(q.prefix) && strings.EqualFold(rest[:len(q.prefix)], q.prefix) {
			if rest[:len(q.prefix)] != q.prefix {
				return c, malformed(path, "invalid condition operator %q: set qualifier must be spelled %q", name, q.prefix)
			}
			c.set = q.set
			rest = rest[len(q.prefix):]
			break
		}
	}
	const suffix = "IfExists"
	base := rest
	if len(rest) > len(suffix) && strings.EqualFold(rest[len(rest)-len(suffix):], suffix) {
		if _, ok := lookupFold(rest[:len(rest)-len(suffix)]); ok {
			if rest[len(rest)-len(suffix):] != suffix {
				return c, malformed(path, "invalid condition operator %q: suffix must be spelled %q", name, suffix)
			}
			c.ifExists = true
			base = rest[:len(rest)-len(suffix)]
		}
	}
	if info, ok := baseOperators[base]; ok {
		if info.fam == famNull && (c.ifExists || c.set != setNone) {
			return c, malformed(path, "invalid condition operator %q: Null takes no IfExists suffix or set qualifier", name)
		}
		c.info = info
		return c, nil
	}
	if known, ok := lookupFold(base); ok {
		return c, malformed(path, "invalid condition operator %q: operator names are case-sensitive (did you mean %q?)", name, known)
	}
	if c.set != setNone || c.ifExists {
		return c, malformed(path, "invalid condition operator %q: unknown operator", name)
	}
	return c, nil // unknown operator: preserved, never enforcing
}

func lookupFold(name string) (string, bool) {
	for k := range baseOperators {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

func parseConditions(n *node, path where) ([]condition, error) {
	if n.kind != kObject {
		return nil, malformed(path, "must be an object, not %s", n.kind)
	}
	var out []condition
	for i := range n.obj {
		opm := &n.obj[i]
		opPath := path.with(opm.key)
		proto, err := parseOperator(opm.key, opPath)
		if err != nil {
			return nil, err
		}
		if opm.val.kind != kObject {
			return nil, malformed(opPath, "must be an object of condition keys, not %s", opm.val.kind)
		}
		if len(opm.val.obj) == 0 {
			return nil, malformed(opPath, "must name at least one condition key")
		}
		for j := range opm.val.obj {
			km := &opm.val.obj[j]
			kp := opPath.with(km.key)
			if km.key == "" {
				return nil, malformed(opPath, "empty condition key")
			}
			for k := 0; k < j; k++ {
				if strings.EqualFold(opm.val.obj[k].key, km.key) {
					return nil, malformed(kp, "condition key %q appears twice (keys are case-insensitive)", km.key)
				}
			}
			c := proto
			c.key = km.key
			vals, err := conditionValues(&km.val, kp)
			if err != nil {
				return nil, err
			}
			c.values = vals
			out = append(out, c)
		}
	}
	return out, nil
}

func conditionValues(n *node, path where) ([]string, error) {
	scalar := func(v *node, p where) (string, error) {
		switch v.kind {
		case kString:
			return v.str, nil
		case kNumber, kBool:
			return v.raw, nil
		}
		return "", malformed(p, "condition value must be a string, number or boolean, not %s", v.kind)
	}
	if n.kind != kArray {
		s, err := scalar(n, path)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	if len(n.arr) == 0 {
		return nil, malformed(path, "must not be an empty array")
	}
	out := make([]string, len(n.arr))
	for i := range n.arr {
		s, err := scalar(&n.arr[i], path.at(i))
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// hasVariable reports whether a value uses a policy variable (meaningful with Version
// 2012-10-17 only).
func (c *condition) hasVariable() bool {
	for _, v := range c.values {
		if strings.Contains(v, "${") {
			return true
		}
	}
	return false
}

// isSI reports whether the condition is on sts:SourceIdentity (keys are case-insensitive).
func (c *condition) isSI() bool { return strings.EqualFold(c.key, keySTSSourceIdentity) }

// enforcesSI reports whether the condition is one of the recognised enforcing forms of the
// decision table: StringEquals, StringEqualsIgnoreCase or StringLike (no IfExists, no set
// qualifier) with any values, or Null whose every value is "false".
func (c *condition) enforcesSI() bool {
	if !c.isSI() {
		return false
	}
	switch c.op {
	case "StringEquals", "StringEqualsIgnoreCase", "StringLike":
		return true
	case "Null":
		for _, v := range c.values {
			if !strings.EqualFold(v, "false") {
				return false
			}
		}
		return true
	}
	return false
}

// tri is a three-valued truth: unknown is the answer for operators we do not interpret.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// evalCtx is the request context as eval sees it. With only set, the context holds nothing but
// sts:SourceIdentity = si (or nothing when si is "") plus, when who is set, the keys the
// principal fixes; with partial, every other key is unknown rather than absent (eval answers
// triUnknown for a condition on it). Otherwise keys are looked up in req, case-insensitively.
type evalCtx struct {
	req     map[string][]string
	only    bool
	partial bool
	si      [1]string
	siName  bool // si is who's own user name (known up to letter case)
	who     *facts
}

// caseUncertain reports whether c compares a value the context knows only up to letter case:
// aws:PrincipalArn, aws:username, or a source identity that is the user's own name, except
// where that name is compared with itself (sts:SourceIdentity against "${aws:username}").
func (ctx *evalCtx) caseUncertain(c *condition) bool {
	switch {
	case strings.EqualFold(c.key, "aws:PrincipalArn"), strings.EqualFold(c.key, "aws:username"):
		return true
	case ctx.siName && c.isSI():
		for _, v := range c.values {
			if strings.TrimSpace(v) != "${aws:username}" {
				return true
			}
		}
	}
	return false
}

// keyState says what a context knows about a key.
type keyState uint8

const (
	keyAbsent keyState = iota
	keyPresent
	keyUnknown
)

func (c *evalCtx) get(key string) ([]string, keyState) {
	if c.only {
		if strings.EqualFold(key, keySTSSourceIdentity) {
			if c.si[0] != "" {
				return c.si[:], keyPresent
			}
			return nil, keyAbsent
		}
		if c.who != nil {
			if v, st := c.who.get(key); st != keyUnknown {
				return v, st
			}
		}
		if c.partial {
			return nil, keyUnknown
		}
		return nil, keyAbsent
	}
	if v, ok := c.req[key]; ok && len(v) > 0 {
		return v, keyPresent
	}
	for k, v := range c.req {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v, keyPresent
		}
	}
	return nil, keyAbsent
}

// facts are the request-context keys whose value every caller a principal names shares: an IAM
// role's sessions all have aws:PrincipalArn = the role's ARN, aws:PrincipalType AssumedRole and
// no aws:username; an IAM user has its ARN, type User and its name as aws:username; a role,
// user, session or account principal fixes aws:PrincipalAccount. See
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html.
// Everything else (tags, org, MFA, source IP, ...) is unknown.
type facts struct {
	arn      [1]string // aws:PrincipalArn; "" unknown
	account  [1]string // aws:PrincipalAccount; "" unknown
	username [1]string // aws:username (users)
	noUser   bool      // aws:username is absent (role sessions)
	ptype    [1]string // aws:PrincipalType; "" unknown
}

func factsOf(p principal) *facts {
	f := &facts{}
	if p.kind != "AWS" {
		return f
	}
	f.account[0] = p.account()
	switch p.class {
	case classRole:
		f.arn[0], f.noUser, f.ptype[0] = p.value, true, "AssumedRole"
	case classSession:
		// aws:PrincipalArn of a session is its role's ARN, whose path the session ARN lacks.
		f.noUser, f.ptype[0] = true, "AssumedRole"
	case classUser:
		f.arn[0], f.ptype[0] = p.value, "User"
		if e, ok := entityOf(p); ok {
			f.username[0] = e.name
		}
	}
	return f
}

// fixesAll reports whether every policy variable in values names a key f has a value for.
func (f *facts) fixesAll(values []string) bool {
	if f == nil {
		return false
	}
	for _, v := range values {
		for {
			i := strings.Index(v, "${")
			if i < 0 {
				break
			}
			j := strings.IndexByte(v[i:], '}')
			if j < 0 {
				break
			}
			name := strings.TrimSpace(v[i+2 : i+j])
			if k := strings.IndexByte(name, ','); k >= 0 {
				name = strings.TrimSpace(name[:k])
			}
			if _, st := f.get(name); st != keyPresent {
				return false
			}
			v = v[i+j+1:]
		}
	}
	return true
}

func (f *facts) get(key string) ([]string, keyState) {
	one := func(v *[1]string) ([]string, keyState) {
		if v[0] == "" {
			return nil, keyUnknown
		}
		return v[:], keyPresent
	}
	switch {
	case strings.EqualFold(key, "aws:PrincipalArn"):
		return one(&f.arn)
	case strings.EqualFold(key, "aws:PrincipalAccount"):
		return one(&f.account)
	case strings.EqualFold(key, "aws:PrincipalType"):
		return one(&f.ptype)
	case strings.EqualFold(key, "aws:username"):
		if f.noUser {
			return nil, keyAbsent
		}
		return one(&f.username)
	}
	return nil, keyUnknown
}

// eval evaluates the condition against a request context. vars enables policy variables
// (Version 2012-10-17).
func (c *condition) eval(ctx *evalCtx, vars bool) tri {
	if ctx.partial && ctx.who != nil && c.info.fam != famNull && ctx.caseUncertain(c) {
		// The principal's ARN and name are known up to letter case (names are unique ignoring
		// case, and the policy may spell a name otherwise than IAM does): the outcome is
		// certain when no spelling matches (no value matches ignoring case) or every spelling
		// does (a value matches with each letter of the name masked, so only wildcards match
		// those letters).
		noMatch := triOf(c.info.negated)
		if r := c.evalMode(ctx, vars, cmpFold); r == noMatch {
			return r
		}
		if r := c.evalMode(ctx, vars, cmpMasked); r != triUnknown && r != noMatch {
			return r
		}
		return triUnknown
	}
	return c.evalMode(ctx, vars, cmpExact)
}

// cmpMode is how evalMode compares a request value with a policy value.
type cmpMode uint8

const (
	cmpExact  cmpMode = iota
	cmpFold           // ASCII letters ignoring case
	cmpMasked         // the letters of the request value's name part replaced by NUL, which no policy character equals
)

// maskName replaces the ASCII letters of v's last path segment (a role or user name in an ARN,
// or the whole of a plain name) with NUL. IAM policies cannot contain NUL, so only '*' and '?'
// match the masked letters: a pattern that matches the masked value matches every spelling.
func maskName(v string) string {
	b := []byte(v)
	for i := len(b) - 1; i >= 0 && b[i] != '/'; i-- {
		if c := b[i] | 0x20; c >= 'a' && c <= 'z' {
			b[i] = 0
		}
	}
	return string(b)
}

func (c *condition) evalMode(ctx *evalCtx, vars bool, mode cmpMode) tri {
	fold := mode == cmpFold
	if c.info.fam == famUnknown {
		return triUnknown
	}
	got, state := ctx.get(c.key)
	if state == keyUnknown {
		return triUnknown
	}
	present := state == keyPresent
	if c.info.fam == famNull {
		res := false
		for _, v := range c.values {
			if strings.EqualFold(v, "true") && !present || strings.EqualFold(v, "false") && present {
				res = true
			}
		}
		return triOf(res)
	}
	if !present {
		switch {
		case c.ifExists:
			return triTrue
		case c.set == setForAll:
			return triTrue
		case c.set == setForAny:
			return triFalse
		}
		return triOf(c.info.negated)
	}
	unknown := false
	// matchAny: does request value v match any policy value (with the positive base operator)?
	matchAny := func(v string) bool {
		for _, pv := range c.values {
			if vars && strings.Contains(pv, "${") {
				var st keyState
				pv, st = substitute(pv, ctx, c.info.fam == famStringLike || c.info.fam == famArn)
				if st == keyUnknown {
					unknown = true
				}
				if st != keyPresent {
					continue
				}
			}
			if mode == cmpMasked {
				v = maskName(v)
			}
			if matchValue(c.info, pv, v, fold) {
				return true
			}
		}
		return false
	}
	var r tri
	switch c.set {
	case setForAll:
		r = triTrue
		for _, v := range got {
			if matchAny(v) == c.info.negated {
				r = triFalse
				break
			}
		}
	case setForAny:
		r = triFalse
		for _, v := range got {
			if matchAny(v) != c.info.negated {
				r = triTrue
				break
			}
		}
	default:
		any := false
		for _, v := range got {
			if matchAny(v) {
				any = true
				break
			}
		}
		r = triOf(any != c.info.negated)
	}
	if unknown {
		return triUnknown
	}
	return r
}

// matchValue compares one request value with one policy value using the positive form of the
// operator family.
func matchValue(info opInfo, pv, v string, fold bool) bool {
	switch info.fam {
	case famString, famBinary:
		return pv == v || fold && info.fam == famString && strings.EqualFold(pv, v)
	case famStringIgnoreCase:
		return strings.EqualFold(pv, v)
	case famStringLike, famArn:
		return wildMatch(pv, v, fold)
	case famBool:
		return strings.EqualFold(pv, v)
	case famNumeric:
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(pv, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return compare(info.cmp, cmp3(a, b))
	case famDate:
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(pv)
		if !ok1 || !ok2 {
			return false
		}
		return compare(info.cmp, a.Compare(b))
	case famIP:
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		if p, err := netip.ParsePrefix(pv); err == nil {
			return p.Contains(addr)
		}
		a2, err := netip.ParseAddr(pv)
		return err == nil && a2 == addr
	}
	return false
}

func cmp3(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(k cmpKind, c int) bool {
	switch k {
	case cmpLt:
		return c < 0
	case cmpLe:
		return c <= 0
	case cmpGt:
		return c > 0
	case cmpGe:
		return c >= 0
	}
	return c == 0
}

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// substitute resolves policy variables in pv. The state is keyAbsent when a variable refers to
// a key that is absent and has no default (IAM: the comparison then does not match), keyUnknown
// when the context does not know the key. (Approximation: '*' and '?' in a resolved value stay
// wildcards in Like operators.)
func substitute(pv string, ctx *evalCtx, like bool) (string, keyState) {
	var b strings.Builder
	for {
		i := strings.Index(pv, "${")
		if i < 0 {
			b.WriteString(pv)
			return b.String(), keyPresent
		}
		j := strings.IndexByte(pv[i:], '}')
		if j < 0 {
			b.WriteString(pv)
			return b.String(), keyPresent
		}
		b.WriteString(pv[:i])
		name := strings.TrimSpace(pv[i+2 : i+j])
		pv = pv[i+j+1:]
		switch name {
		case "*", "?", "$":
			b.WriteString(name) // literal characters (approximation: in Like forms they stay wildcards)
			continue
		}
		def, hasDef := "", false
		if k := strings.IndexByte(name, ','); k >= 0 {
			d := strings.TrimSpace(name[k+1:])
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				def, hasDef = d[1:len(d)-1], true
			}
			name = strings.TrimSpace(name[:k])
		}
		vals, st := ctx.get(name)
		switch {
		case st == keyPresent:
			b.WriteString(vals[0])
		case st == keyUnknown:
			return "", keyUnknown
		case hasDef:
			b.WriteString(def)
		default:
			return "", keyAbsent
		}
	}
}
