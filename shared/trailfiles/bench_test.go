package trailfiles

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/trailgen"
)

func benchFile(b *testing.B) []byte {
	g := trailgen.New(trailgen.Config{Records: 10000, Files: 1, Roles: 100, Callers: 20, End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Seed: 1})
	var buf bytes.Buffer
	if _, err := g.WriteFile(&buf, 10000); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkReadRecords: the splitter over 10,000 generated records (about 2 KB each).
func BenchmarkReadRecords(b *testing.B) {
	data := benchFile(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n, err := ReadRecords(bytes.NewReader(data), 0, func(int, []byte) error { return nil })
		if err != nil || n != 10000 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkJSONDecoderRecords: the first design, for comparison: encoding/json's Decoder,
// Token down to the Records array, then Decode of each element as a RawMessage.
func BenchmarkJSONDecoderRecords(b *testing.B) {
	data := benchFile(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.Token() // {
		dec.Token() // "Records"
		dec.Token() // [
		n := 0
		var raw json.RawMessage
		for dec.More() {
			if err := dec.Decode(&raw); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 10000 {
			b.Fatal(n)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "records/s")
}
