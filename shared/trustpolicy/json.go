package trustpolicy

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds a small order-preserving JSON tree. Scalars keep their exact source text, so
// re-emitting a value never changes its spelling (escapes, number form); objects keep member
// order and reject duplicate names; arrays remember they were arrays. The writer emits compact
// JSON (no whitespace outside strings) and never HTML-escapes.

type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kObject
	kArray
)

func (k kind) String() string {
	switch k {
	case kNull:
		return "null"
	case kBool:
		return "boolean"
	case kNumber:
		return "number"
	case kString:
		return "string"
	case kObject:
		return "object"
	default:
		return "array"
	}
}

// node is one JSON value. Nodes are immutable once built: Fix shares untouched subtrees
// between the input and the output document.
type node struct {
	kind kind
	raw  string   // scalars: exact source text (strings include their quotes)
	str  string   // strings: decoded value
	obj  []member // objects, in source order
	arr  []node   // arrays
}

type member struct {
	key string // decoded name
	raw string // quoted name as written
	val node
}

// get returns the member named exactly key.
func (n *node) get(key string) (*node, bool) {
	for i := range n.obj {
		if n.obj[i].key == key {
			return &n.obj[i].val, true
		}
	}
	return nil, false
}

// strNode builds a string node for a value we generate.
func strNode(s string) node {
	return node{kind: kString, raw: quote(s), str: s}
}

// quote encodes s as a JSON string without HTML escaping.
func quote(s string) string {
	b := make([]byte, 0, len(s)+2)
	return string(appendQuoted(b, s))
}

func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			switch c {
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendNode writes n as compact JSON.
func appendNode(b []byte, n *node) []byte {
	switch n.kind {
	case kObject:
		b = append(b, '{')
		for i := range n.obj {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, n.obj[i].raw...)
			b = append(b, ':')
			b = appendNode(b, &n.obj[i].val)
		}
		return append(b, '}')
	case kArray:
		b = append(b, '[')
		for i := range n.arr {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendNode(b, &n.arr[i])
		}
		return append(b, ']')
	default:
		return append(b, n.raw...)
	}
}

// compactLen returns the number of Unicode code points appendNode would write.
func compactLen(n *node) int {
	switch n.kind {
	case kObject:
		l := 2
		if len(n.obj) > 1 {
			l += len(n.obj) - 1
		}
		for i := range n.obj {
			l += utf8.RuneCountInString(n.obj[i].raw) + 1 + compactLen(&n.obj[i].val)
		}
		return l
	case kArray:
		l := 2
		if len(n.arr) > 1 {
			l += len(n.arr) - 1
		}
		for i := range n.arr {
			l += compactLen(&n.arr[i])
		}
		return l
	default:
		return utf8.RuneCountInString(n.raw)
	}
}

// syntaxError is a JSON syntax problem at a byte offset.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.off, e.msg)
}

// maxDepth bounds nesting; trust policies never go deeper than 5 levels.
const maxDepth = 64

type scanner struct {
	s     string
	i     int
	depth int
}

// parseJSON parses exactly one JSON value (surrounded by optional whitespace).
func parseJSON(s string) (node, error) {
	sc := scanner{s: s}
	sc.skipWS()
	n, err := sc.value()
	if err != nil {
		return node{}, err
	}
	sc.skipWS()
	if sc.i != len(sc.s) {
		return node{}, sc.errf("unexpected data after the top-level value")
	}
	return n, nil
}

func (sc *scanner) errf(format string, args ...any) error {
	return &syntaxError{off: sc.i, msg: fmt.Sprintf(format, args...)}
}

func (sc *scanner) skipWS() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

func (sc *scanner) value() (node, error) {
	if sc.i >= len(sc.s) {
		return node{}, sc.errf("unexpected end of input")
	}
	switch c := sc.s[sc.i]; {
	case c == '{':
		return sc.object()
	case c == '[':
		return sc.array()
	case c == '"':
		raw, str, err := sc.str()
		if err != nil {
			return node{}, err
		}
		return node{kind: kString, raw: raw, str: str}, nil
	case c == 't':
		return sc.literal("true", kBool)
	case c == 'f':
		return sc.literal("false", kBool)
	case c == 'n':
		return sc.literal("null", kNull)
	case c == '-' || (c >= '0' && c <= '9'):
		return sc.number()
	default:
		return node{}, sc.errf("unexpected character %q", c)
	}
}

func (sc *scanner) literal(word string, k kind) (node, error) {
	if len(sc.s)-sc.i < len(word) || sc.s[sc.i:sc.i+len(word)] != word {
		return node{}, sc.errf("invalid literal")
	}
	raw := sc.s[sc.i : sc.i+len(word)]
	sc.i += len(word)
	return node{kind: k, raw: raw}, nil
}

func (sc *scanner) number() (node, error) {
	start := sc.i
	s := sc.s
	if s[sc.i] == '-' {
		sc.i++
	}
	digits := func() int {
		n := 0
		for sc.i < len(s) && s[sc.i] >= '0' && s[sc.i] <= '9' {
			sc.i++
			n++
		}
		return n
	}
	if sc.i < len(s) && s[sc.i] == '0' {
		sc.i++
	} else if digits() == 0 {
		return node{}, sc.errf("invalid number")
	}
	if sc.i < len(s) && s[sc.i] == '.' {
		sc.i++
		if digits() == 0 {
			return node{}, sc.errf("invalid number")
		}
	}
	if sc.i < len(s) && (s[sc.i] == 'e' || s[sc.i] == 'E') {
		sc.i++
		if sc.i < len(s) && (s[sc.i] == '+' || s[sc.i] == '-') {
			sc.i++
		}
		if digits() == 0 {
			return node{}, sc.errf("invalid number")
		}
	}
	return node{kind: kNumber, raw: s[start:sc.i]}, nil
}

// str scans a string starting at the opening quote. It returns the raw text (with quotes) and
// the decoded value. The decoded value is a substring of the input when there are no escapes.
func (sc *scanner) str() (raw, val string, err error) {
	start := sc.i
	sc.i++ // opening quote
	s := sc.s
	escaped := false
	for {
		if sc.i >= len(s) {
			return "", "", sc.errf("unterminated string")
		}
		c := s[sc.i]
		switch {
		case c == '"':
			sc.i++
			raw = s[start:sc.i]
			if !escaped {
				return raw, raw[1 : len(raw)-1], nil
			}
			v, err := unescape(raw[1 : len(raw)-1])
			if err != nil {
				return "", "", &syntaxError{off: start, msg: err.Error()}
			}
			return raw, v, nil
		case c == '\\':
			escaped = true
			if sc.i+1 >= len(s) {
				return "", "", sc.errf("unterminated string")
			}
			switch s[sc.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				sc.i += 2
			case 'u':
				if sc.i+6 > len(s) {
					return "", "", sc.errf("invalid \\u escape")
				}
				for _, h := range []byte(s[sc.i+2 : sc.i+6]) {
					if !isHex(h) {
						return "", "", sc.errf("invalid \\u escape")
					}
				}
				sc.i += 6
			default:
				return "", "", sc.errf("invalid escape \\%c", s[sc.i+1])
			}
		case c < 0x20:
			return "", "", sc.errf("control character in string")
		case c < utf8.RuneSelf:
			sc.i++
		default:
			r, size := utf8.DecodeRuneInString(s[sc.i:])
			if r == utf8.RuneError && size == 1 {
				return "", "", sc.errf("invalid UTF-8")
			}
			if r > 0xFF {
				return "", "", sc.errf("character %U is not allowed in an IAM policy (only tab, LF, CR and U+0020-U+00FF)", r)
			}
			sc.i += size
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unescape(s string) (string, error) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		switch s[i+1] {
		case '"', '\\', '/':
			b = append(b, s[i+1])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r1, _ := strconv.ParseUint(s[i+2:i+6], 16, 32)
			r := rune(r1)
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, _ := strconv.ParseUint(s[i+2:i+6], 16, 32)
					if d := utf16.DecodeRune(r, rune(r2)); d != utf8.RuneError {
						r = d
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
			continue
		}
		i += 2
	}
	return string(b), nil
}

func (sc *scanner) object() (node, error) {
	sc.depth++
	if sc.depth > maxDepth {
		return node{}, sc.errf("nesting too deep")
	}
	defer func() { sc.depth-- }()
	sc.i++ // {
	n := node{kind: kObject}
	sc.skipWS()
	if sc.i < len(sc.s) && sc.s[sc.i] == '}' {
		sc.i++
		n.obj = []member{}
		return n, nil
	}
	n.obj = make([]member, 0, 4)
	for {
		sc.skipWS()
		if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
			return node{}, sc.errf("expected a member name")
		}
		keyOff := sc.i
		raw, key, err := sc.str()
		if err != nil {
			return node{}, err
		}
		for i := range n.obj {
			if n.obj[i].key == key {
				return node{}, &syntaxError{off: keyOff, msg: fmt.Sprintf("duplicate member %q", key)}
			}
		}
		sc.skipWS()
		if sc.i >= len(sc.s) || sc.s[sc.i] != ':' {
			return node{}, sc.errf("expected ':'")
		}
		sc.i++
		sc.skipWS()
		v, err := sc.value()
		if err != nil {
			return node{}, err
		}
		n.obj = append(n.obj, member{key: key, raw: raw, val: v})
		sc.skipWS()
		if sc.i >= len(sc.s) {
			return node{}, sc.errf("unexpected end of input")
		}
		switch sc.s[sc.i] {
		case ',':
			sc.i++
		case '}':
			sc.i++
			return n, nil
		default:
			return node{}, sc.errf("expected ',' or '}'")
		}
	}
}

func (sc *scanner) array() (node, error) {
	sc.depth++
	if sc.depth > maxDepth {
		return node{}, sc.errf("nesting too deep")
	}
	defer func() { sc.depth-- }()
	sc.i++ // [
	n := node{kind: kArray}
	sc.skipWS()
	if sc.i < len(sc.s) && sc.s[sc.i] == ']' {
		sc.i++
		n.arr = []node{}
		return n, nil
	}
	n.arr = make([]node, 0, 2)
	for {
		sc.skipWS()
		v, err := sc.value()
		if err != nil {
			return node{}, err
		}
		n.arr = append(n.arr, v)
		sc.skipWS()
		if sc.i >= len(sc.s) {
			return node{}, sc.errf("unexpected end of input")
		}
		switch sc.s[sc.i] {
		case ',':
			sc.i++
		case ']':
			sc.i++
			return n, nil
		default:
			return node{}, sc.errf("expected ',' or ']'")
		}
	}
}
