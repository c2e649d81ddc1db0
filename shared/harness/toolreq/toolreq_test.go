package toolreq

import (
	"testing"
)

type recorder struct {
	testing.TB
	fatal, skip bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.fatal = true }
func (r *recorder) Skipf(string, ...any)  { r.skip = true }

func TestMissing(t *testing.T) {
	for _, ci := range []string{"true", ""} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		Missing(r, "chromium not found", "apt-get install -y chromium")
		if r.fatal != (ci == "true") || r.skip != (ci != "true") {
			t.Errorf("CI=%q: fatal=%v skip=%v; want a failure on CI and a skip elsewhere", ci, r.fatal, r.skip)
		}
	}
}
