package trustpolicy

import (
	"regexp"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything at all", true},
		{"?", "", false},
		{"?", "a", true},
		{"?", "ab", false},
		{"a*", "a", true},
		{"a*b", "axxb", true},
		{"a*b", "axxbc", false},
		{"*b*", "abc", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"stacksets-exec-*", "stacksets-exec-1a2b", true},
		{"stacksets-exec-*", "StackSets-exec-1a2b", false}, // case-sensitive
		{"ABC", "abc", false},
		{"arn:aws:iam::*:role/ops-*", "arn:aws:iam::111122223333:role/ops-x", true},
		{"arn:aws:iam::*:role/ops-*", "arn:aws:iam::111122223333:role/dev-x", false},
		{"?", "é", true},   // one character, two bytes
		{"??", "é", false}, // not two
		{"*?", "é", true},
		{"é*", "éa", true},
		{"a*a*a*a*a*b", strings.Repeat("a", 40), false}, // backtracking stays linear-ish
		{`\*`, "*", false}, // no escapes: '\' is a literal
		{`\*`, `\x`, true},
	} {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v; want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// TestMatchProperty compares Match with a regular expression built from the pattern ('*' ->
// (?s:.*), '?' -> (?s:.), everything else quoted) over small alphabets, multi-byte characters
// included.
func TestMatchProperty(t *testing.T) {
	alpha := rapid.SampledFrom([]rune{'a', 'b', 'A', 'é', '-', '*', '?'})
	rapid.Check(t, func(t *rapid.T) {
		pattern := string(rapid.SliceOfN(alpha, 0, 8).Draw(t, "pattern"))
		s := string(rapid.SliceOfN(rapid.SampledFrom([]rune{'a', 'b', 'A', 'é', '-', '*', '?'}), 0, 10).Draw(t, "s"))
		var re strings.Builder
		re.WriteString(`^`)
		for _, c := range pattern {
			switch c {
			case '*':
				re.WriteString(`(?s:.*)`)
			case '?':
				re.WriteString(`(?s:.)`)
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString(`$`)
		want := regexp.MustCompile(re.String()).MatchString(s)
		if got := Match(pattern, s); got != want {
			t.Fatalf("Match(%q, %q) = %v; regexp %s says %v", pattern, s, got, re.String(), want)
		}
		// Action matching folds ASCII case only.
		if got, want := wildMatch(pattern, s, true), regexp.MustCompile(`(?i)`+re.String()).MatchString(s); got != want && !strings.ContainsAny(pattern+s, "é") {
			t.Fatalf("wildMatch(%q, %q, fold) = %v; want %v", pattern, s, got, want)
		}
	})
}

func FuzzMatch(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add("*?", "é")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		// Must not panic; a pattern matches itself when it has no wildcard.
		got := Match(pattern, s)
		if !strings.ContainsAny(pattern, "*?") && got != (pattern == s) {
			t.Fatalf("Match(%q, %q) = %v without wildcards", pattern, s, got)
		}
		if Match("*", s) != true {
			t.Fatalf(`Match("*", %q) = false`, s)
		}
	})
}

func TestValidateSizeLimit(t *testing.T) {
	for _, tt := range []struct {
		n  int
		ok bool
	}{{0, false}, {1, false}, {MinSizeLimit - 1, false}, {MinSizeLimit, true}, {4096, true}, {MaxSizeLimit, true}, {MaxSizeLimit + 1, false}, {-1, false}} {
		if err := ValidateSizeLimit(tt.n); (err == nil) != tt.ok {
			t.Errorf("ValidateSizeLimit(%d) = %v; want ok=%v", tt.n, err, tt.ok)
		}
	}
	// Rules.Validate applies the same range, 0 meaning the default.
	for _, tt := range []struct {
		n  int
		ok bool
	}{{0, true}, {1, false}, {MinSizeLimit - 1, false}, {MinSizeLimit, true}, {MaxSizeLimit, true}, {MaxSizeLimit + 1, false}} {
		if err := (Rules{SizeLimit: tt.n}).Validate(); (err == nil) != tt.ok {
			t.Errorf("Rules{SizeLimit: %d}.Validate() = %v; want ok=%v", tt.n, err, tt.ok)
		}
	}
}
