package toolcheck

import "testing"

type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = format }
func (r *recorder) Skipf(format string, args ...any)  { r.skip = format }
func (r *recorder) Setenv(k, v string)                {}

func TestMissing(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	Missing(r, "moto_server not on PATH", "install it")
	if r.fatal == "" || r.skip != "" {
		t.Errorf("CI=true: fatal %q skip %q; want a failure", r.fatal, r.skip)
	}
	t.Setenv("CI", "")
	r = &recorder{TB: t}
	Missing(r, "moto_server not on PATH", "install it")
	if r.skip == "" || r.fatal != "" {
		t.Errorf("CI unset: fatal %q skip %q; want a skip", r.fatal, r.skip)
	}
}
