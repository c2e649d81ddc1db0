package trailgen

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestRecordsAreValidTrailFiles(t *testing.T) {
	g := New(Config{Records: 2000, Files: 1, Roles: 10, Callers: 5, End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Seed: 1})
	var b bytes.Buffer
	n, err := g.WriteFile(&b, 2000)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("WriteFile: %d, %v", n, err)
	}
	var f struct{ Records []map[string]any }
	if err := json.Unmarshal(b.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Records) != 2000 {
		t.Fatalf("%d records", len(f.Records))
	}
	names := map[string]int{}
	for _, r := range f.Records {
		names[r["eventName"].(string)]++
	}
	if names["AssumeRole"] == 0 || names["SwitchRole"] == 0 || names["DescribeInstances"] == 0 {
		t.Fatalf("mix %v", names)
	}
	t.Logf("mean record size %d bytes; mix %v", b.Len()/2000, names)
}
