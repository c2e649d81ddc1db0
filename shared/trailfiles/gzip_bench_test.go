package trailfiles

import (
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// BenchmarkGunzip: decompressing (with the package trailfiles uses) the same 10,000 records as BenchmarkReadRecords, gzipped as
// a trail delivers them.
func BenchmarkGunzip(b *testing.B) {
	data := benchFile(b)
	var z bytes.Buffer
	zw, _ := stdgzip.NewWriterLevel(&z, stdgzip.DefaultCompression)
	zw.Write(data)
	zw.Close()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		zr, err := gzip.NewReader(bytes.NewReader(z.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkGunzipStd: the same with the standard library, for comparison.
func BenchmarkGunzipStd(b *testing.B) {
	data := benchFile(b)
	var z bytes.Buffer
	zw, _ := stdgzip.NewWriterLevel(&z, stdgzip.DefaultCompression)
	zw.Write(data)
	zw.Close()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		zr, err := stdgzip.NewReader(bytes.NewReader(z.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "records/s")
}
