package trustpolicy

import "unicode/utf8"

// Match reports whether s matches pattern the way IAM's StringLike condition operator compares
// a value with a policy value: '*' matches any run of characters (the empty run included), '?'
// matches exactly one character (one Unicode code point, not one byte), every other character
// matches itself, case-sensitively. There is no escape: a literal '*' or '?' in pattern is a
// wildcard. The whole of s must match. Policy variables (${...}) are not expanded here.
//
// The engine uses it for StringLike/ArnLike values, source-identity patterns and Federated
// provider rules; the guard uses it for exempt-role patterns, so every glob in the product means
// the same thing. See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
func Match(pattern, s string) bool { return wildMatch(pattern, s, false) }

// wildMatch is Match; with fold, ASCII letters compare case-insensitively (IAM action names are
// case-insensitive: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
// It backtracks to the last '*' only, so it runs in O(len(pattern)·len(s)) time at worst and
// allocates nothing.
func wildMatch(pattern, s string, fold bool) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == '?':
			p++
			i += runeLen(s, i)
		case p < len(pattern) && eqByte(pattern[p], s[i], fold):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark += runeLen(s, mark)
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// runeLen is the length in bytes of the character that starts at s[i].
func runeLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

func eqByte(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if 'A' <= a && a <= 'Z' {
		a += 'a' - 'A'
	}
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return a == b
}
