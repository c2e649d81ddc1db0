// Package emf writes CloudWatch Embedded Metric Format (EMF) log lines.
//
// A Lambda function that prints an EMF line to standard output gets a CloudWatch metric
// without an API call: the Lambda log pipeline extracts the metric from the line. See
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html.
//
// The package is pure: it formats lines and writes them to an io.Writer.
package emf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every source-identity-guard metric.
const Namespace = "SourceIdentityGuard"

// Unit is a CloudWatch metric unit.
type Unit string

// Units used by the project. CloudWatch accepts more.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// Metric is one value of one metric.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// Dimension is one dimension name and its value.
type Dimension struct {
	Name, Value string
}

// Writer writes one EMF line per Put call. It is safe for concurrent use.
type Writer struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
	buf       bytes.Buffer

	// Now returns the metric timestamp. New sets it to time.Now; tests replace it.
	Now func() time.Time
}

// New returns a Writer that writes lines for namespace to w.
func New(w io.Writer, namespace string) *Writer {
	return &Writer{w: w, namespace: namespace, Now: time.Now}
}

// Put writes one line that records metrics under one dimension set (dims, in order; none
// means a metric without dimensions). Names must not collide with each other or with
// "_aws": EMF puts dimension values and metric values side by side at the top level.
func (w *Writer) Put(dims []Dimension, metrics ...Metric) error {
	if len(metrics) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(dims)+len(metrics))
	for _, d := range dims {
		if d.Name == "" || d.Name == "_aws" || seen[d.Name] {
			return fmt.Errorf("emf: invalid or duplicate dimension name %q", d.Name)
		}
		seen[d.Name] = true
	}
	for _, m := range metrics {
		if m.Name == "" || m.Name == "_aws" || seen[m.Name] {
			return fmt.Errorf("emf: invalid or duplicate metric name %q", m.Name)
		}
		seen[m.Name] = true
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	b := &w.buf
	b.Reset()
	b.WriteString(`{"_aws":{"Timestamp":`)
	fmt.Fprintf(b, "%d", w.Now().UnixMilli())
	b.WriteString(`,"CloudWatchMetrics":[{"Namespace":`)
	writeString(b, w.namespace)
	b.WriteString(`,"Dimensions":[[`)
	for i, d := range dims {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, d.Name)
	}
	b.WriteString(`]],"Metrics":[`)
	for i, m := range metrics {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"Name":`)
		writeString(b, m.Name)
		if m.Unit != "" {
			b.WriteString(`,"Unit":`)
			writeString(b, string(m.Unit))
		}
		b.WriteByte('}')
	}
	b.WriteString(`]}]}`)
	for _, d := range dims {
		b.WriteByte(',')
		writeString(b, d.Name)
		b.WriteByte(':')
		writeString(b, d.Value)
	}
	for _, m := range metrics {
		v, err := json.Marshal(m.Value)
		if err != nil {
			return fmt.Errorf("emf: metric %q: %w", m.Name, err)
		}
		b.WriteByte(',')
		writeString(b, m.Name)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteString("}\n")
	if _, err := w.w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("emf: write metrics: %w", err)
	}
	return nil
}

// writeString writes s as a JSON string without HTML escaping.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode appends a newline
}
