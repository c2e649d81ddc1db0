package readiness

import (
	"bytes"
	"syscall"
	"testing"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/trailgen"
	"github.com/source-identity-guard/source-identity-guard/shared/trailfiles"
	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
)

// BenchmarkPipeline: split, decode and aggregate 10,000 generated records (about 2 KB each)
// on one goroutine, from an uncompressed file in memory.
func BenchmarkPipeline(b *testing.B) {
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	g := trailgen.New(trailgen.Config{Records: 10000, Files: 1, Roles: 100, Callers: 20, End: end, Seed: 1})
	var buf bytes.Buffer
	if _, err := g.WriteFile(&buf, 10000); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var dec trailrecord.Decoder
	cpu0 := cpuTime()
	for b.Loop() {
		agg := NewAggregator(NewWindow(end, DefaultDays))
		_, err := trailfiles.ReadRecords(bytes.NewReader(data), 0, func(_ int, raw []byte) error {
			rec, err := dec.Decode(raw)
			if err != nil {
				return err
			}
			agg.AddRecord(rec)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "records/s")
	// The machine is shared: records per CPU-second of this process says more than wall time.
	b.ReportMetric(float64(10000*b.N)/(cpuTime()-cpu0).Seconds(), "records/cpu-s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
