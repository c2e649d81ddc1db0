package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const reportFixtures = "../../shared/htmlreport/testdata/"

func runReport(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"report"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestReportWrites(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.html")
	code, stdout, stderr := runReport(t, "", "--output", out, "--title", "Org <Q4>",
		reportFixtures+"scan-org.jsonl", reportFixtures+"readiness.jsonl")
	if code != exitOK {
		t.Fatalf("exit %d; want 0\n%s", code, stderr)
	}
	if want := "wrote " + out + ": 3 accounts, 10 roles judged, 5 open\n"; stdout != want {
		t.Errorf("stdout %q; want %q", stdout, want)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>Org &lt;Q4&gt;</title>", ">111122223333</a></th><td class=\"n\">5</td><td class=\"n\">3</td>",
		"sidguard " + versionString(), "Callers that block the others"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o644 {
		t.Errorf("report mode %v; want 0644", fi.Mode().Perm())
	}
	// Flags after the inputs, and "-" for standard input.
	scan, _ := os.ReadFile(reportFixtures + "scan-single.jsonl")
	code, _, stderr = runReport(t, string(scan), "-", "--output", out)
	if code != exitOK {
		t.Fatalf("stdin: exit %d\n%s", code, stderr)
	}
	if page, _ := os.ReadFile(out); !bytes.Contains(page, []byte("standard input")) || !bytes.Contains(page, []byte("this account (unknown id)")) {
		t.Errorf("report from standard input does not name it or the unknown account")
	}
}

func TestReportUnusable(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"role\":\"x\",\"decision\":\"maybe\",\"mode\":\"audit\"}\n"), 0o644)
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, nil, 0o644)
	existing := filepath.Join(dir, "existing.html")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no output", []string{reportFixtures + "scan-org.jsonl"}, "--output FILE is required"},
		{"no input", []string{"--output", existing}, "no INPUT"},
		{"missing file", []string{"--output", existing, filepath.Join(dir, "nope.jsonl")}, "nope.jsonl"},
		{"bad record", []string{"--output", existing, reportFixtures + "scan-org.jsonl", bad}, `bad.jsonl line 1: scan record "x": decision "maybe"`},
		{"empty input", []string{"--output", existing, empty}, "no records"},
		{"not json lines", []string{"--output", existing, "testdata/policy-aws.json"}, "not a JSON object"},
		{"output is input", []string{"--output", bad, bad}, "is also an INPUT"},
		{"stdin twice", []string{"--output", existing, "-", "-"}, "given twice"},
		{"output dir missing", []string{"--output", filepath.Join(dir, "no", "r.html"), reportFixtures + "scan-org.jsonl"}, "write report"},
		{"unknown flag", []string{"--format", "pdf", "--output", existing, reportFixtures + "scan-org.jsonl"}, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(existing, []byte("old"), 0o644)
			code, stdout, stderr := runReport(t, scanLineForStdin, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d; want 2", code)
			}
			if !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("stderr %q (want %q), stdout %q", stderr, tc.want, stdout)
			}
			if b, _ := os.ReadFile(existing); string(b) != "old" {
				t.Errorf("the existing output was changed")
			}
			left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
			if len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

const scanLineForStdin = `{"role":"r","arn":"arn:aws:iam::111122223333:role/r","path":"/","decision":"compliant","reason":"trust policy requires a source identity","mode":"audit","findings":[]}`

// The report names the time it was made (UTC).
func TestReportTime(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.html")
	o := htmlReportOptions{output: out, now: func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CET", 3600)) }}
	var so, se bytes.Buffer
	if code := o.run(stdio{in: strings.NewReader(""), out: &so, err: &se}, []string{reportFixtures + "scan-org.jsonl"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	if page, _ := os.ReadFile(out); !bytes.Contains(page, []byte("Made 2026-12-01 08:00:00 UTC")) {
		t.Errorf("report does not say when it was made in UTC")
	}
}
