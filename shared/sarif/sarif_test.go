package sarif

import "testing"

func TestRuleIndexAddsUnknownRules(t *testing.T) {
	l := New(Driver{Name: "x", Rules: []Rule{{ID: "a"}, {ID: "b"}}})
	for _, tt := range []struct {
		id   string
		want int
	}{{"b", 1}, {"a", 0}, {"c", 2}, {"c", 2}} {
		if got := l.RuleIndex(tt.id); got != tt.want {
			t.Errorf("RuleIndex(%q) = %d; want %d", tt.id, got, tt.want)
		}
	}
	if n := len(l.Runs[0].Tool.Driver.Rules); n != 3 {
		t.Errorf("rules = %d; want 3", n)
	}
}
