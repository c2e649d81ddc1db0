package trustpolicy

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCases lists testdata/golden/<case>.json (rules, when not the defaults, in
// <case>.rules.json).
func goldenCases(t tester) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/golden/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".rules.json") {
			out = append(out, strings.TrimSuffix(f, ".json"))
		}
	}
	if len(out) == 0 {
		t.Fatal("no golden cases in testdata/golden")
	}
	return out
}

func loadCase(t tester, base string) ([]byte, Rules) {
	t.Helper()
	in, err := os.ReadFile(base + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var r Rules
	if b, err := os.ReadFile(base + ".rules.json"); err == nil {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s.rules.json: %v", base, err)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("%s.rules.json: %v", base, err)
		}
	}
	return in, r
}

func TestGolden(t *testing.T) {
	for _, base := range goldenCases(t) {
		t.Run(filepath.Base(base), func(t *testing.T) {
			in, r := loadCase(t, base)
			d, err := Parse(in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := renderCase(t, d, r)
			golden := base + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
			checkInvariants(t, d, r)
			assertSameJSON(t, in, mustMarshal(t, d))
		})
	}
}

// renderCase writes what the engine says about one policy in a reviewable text form.
func renderCase(t tester, d *Document, r Rules) string {
	t.Helper()
	var b strings.Builder
	fixed, fs := Fix(d, r)
	state := "changed"
	if fixed == d {
		state = "unchanged"
	}
	fmt.Fprintf(&b, "size: %d -> %d (%s)\n", d.Size(), fixed.Size(), state)
	b.WriteString("--- findings\n")
	for _, f := range fs {
		b.WriteString(jsonLine(t, f))
	}
	b.WriteString("--- explain (before)\n")
	for _, e := range Explain(d, r) {
		b.WriteString(jsonLine(t, e))
	}
	b.WriteString("--- explain (after)\n")
	for _, e := range Explain(fixed, r) {
		b.WriteString(jsonLine(t, e))
	}
	b.WriteString("--- fixed\n")
	var ind bytes.Buffer
	if err := json.Indent(&ind, mustMarshal(t, fixed), "", "  "); err != nil {
		t.Fatal(err)
	}
	b.Write(ind.Bytes())
	b.WriteString("\n")
	return b.String()
}

func jsonLine(t tester, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func mustMarshal(t tester, d *Document) []byte {
	t.Helper()
	b, err := d.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkInvariants asserts the properties every Fix must have.
func checkInvariants(t tester, d *Document, r Rules) {
	t.Helper()
	before := mustMarshal(t, d)
	fixed, fs := Fix(d, r)
	if after := mustMarshal(t, d); !bytes.Equal(before, after) {
		t.Fatalf("Fix mutated its input:\nbefore %s\nafter  %s", before, after)
	}
	checked := Check(d, r)
	if len(checked) != len(fs) {
		t.Errorf("Check reports %d findings, Fix %d: %+v / %+v", len(checked), len(fs), checked, fs)
	}
	for k := range checked {
		if k < len(fs) && (checked[k].Code != fs[k].Code || checked[k].Fixed) {
			t.Errorf("finding %d: Check %s (fixed %v), Fix %s", k, checked[k].Code, checked[k].Fixed, fs[k].Code)
		}
	}
	tooLarge := false
	for _, f := range fs {
		tooLarge = tooLarge || f.Code == CodeTooLarge
		if f.Code == CodeInternalError {
			t.Errorf("Fix: %s", f.Message)
		}
	}
	if tooLarge && fixed != d {
		t.Errorf("Fix reported %s but changed the document", CodeTooLarge)
	}
	if fixed.Size() > r.sizeLimit() && fixed != d {
		t.Errorf("Fix returned %d characters, over the limit %d", fixed.Size(), r.sizeLimit())
	}
	again, _ := Fix(fixed, r)
	if again != fixed {
		t.Errorf("Fix is not idempotent:\nonce  %s\ntwice %s", mustMarshal(t, fixed), mustMarshal(t, again))
	}
	if !tooLarge {
		for _, f := range Check(fixed, r) {
			if f.Code.Fixable() {
				t.Errorf("Check(Fix(p)) still reports a fixable finding: %+v\nfixed: %s", f, mustMarshal(t, fixed))
			}
		}
	}
	out := mustMarshal(t, fixed)
	re, err := Parse(out)
	if err != nil {
		t.Fatalf("fixed policy does not re-parse: %v\n%s", err, out)
	}
	if !bytes.Equal(mustMarshal(t, re), out) {
		t.Errorf("parse -> marshal of the fixed policy is not stable")
	}
	if fixed.Size() != len([]rune(string(out))) {
		t.Errorf("Size() = %d, compact output has %d characters", fixed.Size(), len([]rune(string(out))))
	}
}

// assertSameJSON decodes both texts with encoding/json and compares the values.
func assertSameJSON(t tester, a, b []byte) {
	t.Helper()
	if diff := cmp.Diff(decodeAny(t, a), decodeAny(t, b)); diff != "" {
		t.Errorf("round trip changed the policy (-in +out):\n%s", diff)
	}
}

func decodeAny(t tester, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// tester is what the shared assertions need; *testing.T and *rapid.T satisfy it.
type tester interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
}
