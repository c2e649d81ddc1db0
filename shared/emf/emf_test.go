package emf

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var fixedNow = func() time.Time { return time.UnixMilli(1_700_000_000_123) }

func TestPut(t *testing.T) {
	tests := []struct {
		name    string
		dims    []Dimension
		metrics []Metric
		want    string
	}{
		{
			name:    "one dimension, one count",
			dims:    []Dimension{{"decision", "patched"}},
			metrics: []Metric{{Name: "Decisions", Unit: Count, Value: 1}},
			want:    `{"_aws":{"Timestamp":1700000000123,"CloudWatchMetrics":[{"Namespace":"SourceIdentityGuard","Dimensions":[["decision"]],"Metrics":[{"Name":"Decisions","Unit":"Count"}]}]},"decision":"patched","Decisions":1}` + "\n",
		},
		{
			name:    "two dimensions, two metrics, no unit, fractional value, characters that need escaping",
			dims:    []Dimension{{"operation", "get-role"}, {"account", `<"x">`}},
			metrics: []Metric{{Name: "Errors", Unit: Count, Value: 2}, {Name: "Latency", Value: 1.5}},
			want:    `{"_aws":{"Timestamp":1700000000123,"CloudWatchMetrics":[{"Namespace":"SourceIdentityGuard","Dimensions":[["operation","account"]],"Metrics":[{"Name":"Errors","Unit":"Count"},{"Name":"Latency"}]}]},"operation":"get-role","account":"<\"x\">","Errors":2,"Latency":1.5}` + "\n",
		},
		{
			name:    "no dimensions",
			metrics: []Metric{{Name: "Invocations", Unit: Count, Value: 1}},
			want:    `{"_aws":{"Timestamp":1700000000123,"CloudWatchMetrics":[{"Namespace":"SourceIdentityGuard","Dimensions":[[]],"Metrics":[{"Name":"Invocations","Unit":"Count"}]}]},"Invocations":1}` + "\n",
		},
		{
			name: "no metrics writes nothing",
			dims: []Dimension{{"decision", "patched"}},
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := New(&buf, Namespace)
			w.Now = fixedNow
			if err := w.Put(tt.dims, tt.metrics...); err != nil {
				t.Fatalf("Put() error: %v", err)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("Put() line (-want +got):\n%s", diff)
			}
			if tt.want != "" && !json.Valid(buf.Bytes()) {
				t.Errorf("Put() wrote invalid JSON: %s", buf.String())
			}
		})
	}
}

func TestPutRejectsCollidingNames(t *testing.T) {
	tests := []struct {
		name    string
		dims    []Dimension
		metrics []Metric
	}{
		{"metric named like a dimension", []Dimension{{"x", "1"}}, []Metric{{Name: "x", Value: 1}}},
		{"duplicate metric", nil, []Metric{{Name: "a", Value: 1}, {Name: "a", Value: 2}}},
		{"reserved name", []Dimension{{"_aws", "1"}}, []Metric{{Name: "a", Value: 1}}},
		{"empty name", nil, []Metric{{Name: "", Value: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := New(&buf, Namespace).Put(tt.dims, tt.metrics...); err == nil {
				t.Errorf("Put() succeeded, wrote %q; want an error", buf.String())
			}
			if buf.Len() != 0 {
				t.Errorf("Put() wrote %q on error", buf.String())
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestPutWriteError(t *testing.T) {
	err := New(failingWriter{}, Namespace).Put(nil, Metric{Name: "a", Value: 1})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Put() error = %v, want the writer's error", err)
	}
}

func ExampleWriter_Put() {
	w := New(os.Stdout, Namespace)
	w.Now = func() time.Time { return time.UnixMilli(1700000000000) }
	_ = w.Put([]Dimension{{Name: "decision", Value: "patched"}}, Metric{Name: "Decisions", Unit: Count, Value: 1})
	// Output:
	// {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"SourceIdentityGuard","Dimensions":[["decision"]],"Metrics":[{"Name":"Decisions","Unit":"Count"}]}]},"decision":"patched","Decisions":1}
}
