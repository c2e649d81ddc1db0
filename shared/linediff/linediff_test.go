package linediff

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b []string
		want []string
	}{
		{"equal", []string{"x", "y"}, []string{"x", "y"}, []string{"  x", "  y"}},
		{"added", []string{"x"}, []string{"x", "y"}, []string{"  x", "+ y"}},
		{"removed", []string{"x", "y"}, []string{"y"}, []string{"- x", "  y"}},
		{"changed", []string{"a", "b", "c"}, []string{"a", "B", "c"}, []string{"  a", "- b", "+ B", "  c"}},
		{"both empty", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Lines(tt.a, tt.b)); diff != "" {
				t.Errorf("Lines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLinesRebuildsBothSides: dropping the "+ " lines gives a back, dropping "- " gives b.
func TestLinesRebuildsBothSides(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		gen := rapid.SliceOfN(rapid.SampledFrom([]string{"a", "b", "c", "{", "}"}), 0, 12)
		a, b := gen.Draw(t, "a"), gen.Draw(t, "b")
		var gotA, gotB []string
		for _, l := range Lines(a, b) {
			prefix, text := l[:2], l[2:]
			if prefix != "+ " {
				gotA = append(gotA, text)
			}
			if prefix != "- " {
				gotB = append(gotB, text)
			}
		}
		if strings.Join(gotA, "\n") != strings.Join(a, "\n") || strings.Join(gotB, "\n") != strings.Join(b, "\n") {
			t.Fatalf("diff of %q and %q does not rebuild them: %q", a, b, Lines(a, b))
		}
	})
}
