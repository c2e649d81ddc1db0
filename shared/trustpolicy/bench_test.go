package trustpolicy

import (
	"encoding/json"
	"os"
	"testing"
)

// Benchmarks: `make bench-engine` (go test -run '^$' -bench . -benchmem ./shared/trustpolicy).
// Floor is a plain encoding/json Unmarshal into any plus Marshal of the same bytes; the goal is
// ParseFixMarshal <= 3x Floor and Fix < 50 allocations on the typical policy.

var benchCases = []struct{ name, file string }{
	{"typical", "testdata/bench/typical.json"},
	{"2KB", "testdata/bench/2kb.json"},
}

var benchRules = Rules{SizeLimit: MaxSizeLimit}

// loop runs f like b.Loop and also reports process CPU time per operation.
func loop(b *testing.B, f func()) {
	b.Helper()
	start, ok := processCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if end, ok2 := processCPU(); ok && ok2 && n > 0 {
		b.ReportMetric(float64(end-start)/float64(n), "cpu-ns/op")
	}
}

func benchInput(b *testing.B, file string) []byte {
	b.Helper()
	in, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	return in
}

func BenchmarkFloor(b *testing.B) {
	for _, c := range benchCases {
		in := benchInput(b, c.file)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			loop(b, func() {
				var v any
				if err := json.Unmarshal(in, &v); err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(v); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, c := range benchCases {
		in := benchInput(b, c.file)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			loop(b, func() {
				if _, err := Parse(in); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	for _, c := range benchCases {
		d, err := Parse(benchInput(b, c.file))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			loop(b, func() {
				if len(Check(d, benchRules)) == 0 {
					b.Fatal("no findings")
				}
			})
		})
	}
}

func BenchmarkFix(b *testing.B) {
	for _, c := range benchCases {
		d, err := Parse(benchInput(b, c.file))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			loop(b, func() {
				if out, _ := Fix(d, benchRules); out == d {
					b.Fatal("nothing fixed")
				}
			})
		})
	}
}

// BenchmarkParseFixMarshal is the whole job on raw bytes: the fair comparison with Floor.
func BenchmarkParseFixMarshal(b *testing.B) {
	for _, c := range benchCases {
		in := benchInput(b, c.file)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			loop(b, func() {
				d, err := Parse(in)
				if err != nil {
					b.Fatal(err)
				}
				out, _ := Fix(d, benchRules)
				if _, err := out.MarshalJSON(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
