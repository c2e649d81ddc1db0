package htmlreport_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/htmlreport"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var generated = time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC)

func decodeFile(t testing.TB, name string) htmlreport.Input {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := htmlreport.Decode(name, f)
	if err != nil {
		t.Fatalf("Decode %s: %v", name, err)
	}
	return in
}

func fixtureReport(t testing.TB, names ...string) *htmlreport.Report {
	t.Helper()
	var ins []htmlreport.Input
	for _, n := range names {
		ins = append(ins, decodeFile(t, n))
	}
	return htmlreport.Build(ins, htmlreport.Options{Generated: generated, Generator: "sidguard test"})
}

func TestDecodeKinds(t *testing.T) {
	in := decodeFile(t, "scan-org.jsonl")
	if len(in.Scan) != 11 || len(in.Readiness) != 0 {
		t.Errorf("scan-org.jsonl: %d scan, %d readiness records; want 11, 0", len(in.Scan), len(in.Readiness))
	}
	in = decodeFile(t, "readiness.jsonl")
	if len(in.Scan) != 0 || len(in.Readiness) != 3 {
		t.Errorf("readiness.jsonl: %d scan, %d readiness records; want 0, 3", len(in.Scan), len(in.Readiness))
	}
	if got := in.Readiness[0].Callers[0].Client; got != "aws-cli" {
		t.Errorf("first caller's client = %q; want aws-cli", got)
	}
	mixed := decodeString(t, "mixed", readinessLine+"\n"+scanLine+"\n")
	if len(mixed.Scan) != 1 || len(mixed.Readiness) != 1 {
		t.Errorf("mixed input: %d scan, %d readiness; want 1, 1", len(mixed.Scan), len(mixed.Readiness))
	}
	if crlf := decodeString(t, "windows", "\xef\xbb\xbf"+scanLine+"\r\n"+scanLine+"\r\n"); len(crlf.Scan) != 2 {
		t.Errorf("a file with a byte order mark and CRLF line ends: %d records; want 2", len(crlf.Scan))
	}
	if len(mixed.SHA256) != 64 {
		t.Errorf("SHA256 %q", mixed.SHA256)
	}
}

const scanLine = `{"role":"r","arn":"arn:aws:iam::111122223333:role/r","path":"/","decision":"compliant","reason":"trust policy requires a source identity","mode":"audit","findings":[]}`
const readinessLine = `{"role":"arn:aws:iam::111122223333:role/r","account":"111122223333","assumptions":1,"withoutSourceIdentity":0,"ready":true}`

func decodeString(t *testing.T, name, s string) htmlreport.Input {
	t.Helper()
	in, err := htmlreport.Decode(name, strings.NewReader(s))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return in
}

func TestDecodeUnusable(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "no records"},
		{"blank lines", "\n  \n", "no records"},
		{"not json", "role,decision\n", "line 1: not a JSON object"},
		{"array", "[1]\n", "line 1: not a JSON object"},
		{"neither kind", `{"role":"x"}`, `neither a scan record`},
		{"both kinds", `{"role":"x","decision":"compliant","assumptions":1,"ready":true}`, "both"},
		{"unknown decision", strings.Replace(scanLine, `"compliant"`, `"fine"`, 1), `decision "fine"`},
		{"unknown mode", strings.Replace(scanLine, `"audit"`, `"enforce"`, 1), `mode "enforce"`},
		{"no role", `{"decision":"compliant","mode":"audit"}`, `no "role" or "arn"`},
		{"bad account", strings.Replace(scanLine, `{"role"`, `{"account":"12","role"`, 1), `account "12"`},
		{"patched in audit", strings.Replace(scanLine, `"compliant"`, `"patched"`, 1), "never writes in audit"},
		{"wrong type", `{"role":"r","decision":7,"mode":"audit"}`, "not a JSON object of a scan or readiness record"},
		{"second line bad", scanLine + "\n{", "line 2"},
		{"readiness no role", `{"assumptions":1,"ready":true}`, `no "role"`},
		{"readiness counts", strings.Replace(readinessLine, `"withoutSourceIdentity":0`, `"withoutSourceIdentity":2`, 1), "counts"},
		{"readiness window", strings.Replace(readinessLine, `"ready":true`, `"ready":true,"windowStart":"yesterday"`, 1), "windowStart"},
		{"readiness caller", strings.Replace(readinessLine, `"ready":true`, `"ready":false,"callers":[{"assumptions":1}]`, 1), "principal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := htmlreport.Decode("in.jsonl", strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("Decode(%q) = nil error; want one containing %q", tc.in, tc.want)
			}
			if !errors.Is(err, htmlreport.ErrUnusable) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "in.jsonl") {
				t.Errorf("Decode error %q; want ErrUnusable naming in.jsonl and containing %q", err, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		decision, mode, reason string
		want                   htmlreport.State
	}{
		{"compliant", "audit", htmlreport.ReasonRequires, htmlreport.StateRequiring},
		{"compliant", "require", htmlreport.ReasonRequires, htmlreport.StateRequiring},
		{"compliant", "allow", htmlreport.ReasonRequires, htmlreport.StateRequiring},
		{"compliant", "allow", "trust policy allows a source identity (mode allow)", htmlreport.StateAllowing},
		{"patched", "require", "", htmlreport.StateRequiring},
		{"patched", "allow", "", htmlreport.StateAllowing},
		{"would-patch", "audit", "", htmlreport.StateOpen},
		{"would-patch", "allow", "", htmlreport.StateOpen},
		{"unfixable", "require", "", htmlreport.StateOpen},
		{"failed", "allow", "", htmlreport.StateOpen},
		{"tampered", "require", "", htmlreport.StateOpen},
		{"exempt", "require", "", htmlreport.StateExempt},
		{"skipped", "audit", "", htmlreport.StateSkipped},
	} {
		got := htmlreport.Classify(htmlreport.ScanRecord{Decision: tc.decision, Mode: tc.mode, Reason: tc.reason})
		if got != tc.want {
			t.Errorf("Classify(%s, mode %s, %q) = %s; want %s", tc.decision, tc.mode, tc.reason, got, tc.want)
		}
	}
}

// The report repeats guard's decision values and the reason it gives a role compliant under
// require (it cannot import guard, which links the AWS SDK through iamrole): every Decision
// constant in shared/guard's source must be one the report knows, and Decide's verdicts must
// be counted as the package doc says.
func TestAgreesWithGuard(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "guard", "*.go"))
	var guardDecisions []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`(?m)^\s*(?:const\s+)?\w+\s+Decision\s*=\s*"([^"]+)"`).FindAllSubmatch(src, -1) {
			guardDecisions = append(guardDecisions, string(m[1]))
		}
	}
	if len(guardDecisions) < 7 {
		t.Fatalf("found %d Decision constants in shared/guard: %q", len(guardDecisions), guardDecisions)
	}
	for _, d := range guardDecisions {
		if !slices.Contains(htmlreport.Decisions, d) {
			t.Errorf("shared/guard has decision %q, which htmlreport does not know (Decisions, Classify, fixFor)", d)
		}
	}
	for _, d := range []guard.Decision{guard.Compliant, guard.Patched, guard.WouldPatch, guard.Exempt, guard.Skipped, guard.Unfixable, guard.Failed} {
		if !slices.Contains(guardDecisions, string(d)) {
			t.Errorf("the source scan missed guard.%s", d)
		}
	}
	requires := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`)
	allows := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`)
	for _, tc := range []struct {
		mode   guard.Mode
		policy []byte
		want   htmlreport.State
	}{
		{guard.ModeAllow, requires, htmlreport.StateRequiring},
		{guard.ModeAllow, allows, htmlreport.StateAllowing},
		{guard.ModeAudit, requires, htmlreport.StateRequiring},
		{guard.ModeAudit, allows, htmlreport.StateOpen},
		{guard.ModeRequire, requires, htmlreport.StateRequiring},
	} {
		v := guard.Policy{Mode: tc.mode}.Decide(iamrole.Role{Name: "r", Path: "/", TrustPolicy: tc.policy, Tags: map[string]string{}})
		got := htmlreport.Classify(htmlreport.ScanRecord{Decision: string(v.Decision), Mode: string(v.Mode), Reason: v.Reason})
		if got != tc.want {
			t.Errorf("mode %s: guard says %s (%q), report counts %s; want %s", tc.mode, v.Decision, v.Reason, got, tc.want)
		}
	}
}

func TestBuildAccounts(t *testing.T) {
	rep := fixtureReport(t, "scan-org.jsonl", "scan-single.jsonl", "readiness.jsonl")
	type row struct {
		Label                                              string
		Judged, Requiring, Allowing, Open, Exempt, Skipped int
		ReadinessRoles, ReadyRoles, Groups                 int
	}
	var got []row
	for _, a := range rep.Accounts {
		got = append(got, row{a.Label, a.Judged, a.Requiring, a.Allowing, a.Open, a.Exempt, a.Skipped, a.ReadinessRoles, a.ReadyRoles, len(a.Groups)})
	}
	want := []row{
		{"111122223333", 5, 1, 0, 3, 1, 0, 2, 1, 3},
		{"333344445555", 2, 0, 0, 2, 0, 0, 0, 0, 2},
		{htmlreport.UnknownAccount, 1, 0, 0, 1, 0, 0, 0, 0, 1}, // 0% requiring before 50%
		{"123456789012", 2, 1, 0, 1, 0, 0, 0, 0, 1},
		{"222233334444", 3, 2, 1, 0, 0, 1, 1, 0, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accounts, worst first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(htmlreport.Tally{Judged: 13, Requiring: 4, Allowing: 1, Open: 7, Exempt: 1, Skipped: 1}, rep.Total); diff != "" {
		t.Errorf("total (-want +got):\n%s", diff)
	}
	// unfixable before would-patch; would-patch split by finding codes (they need different fixes).
	if g := rep.Accounts[0].Groups; g[0].Decision != "unfixable" || g[1].Decision != "would-patch" || len(g[1].Codes) != 2 || len(g[2].Codes) != 1 {
		t.Errorf("groups of 111122223333: %+v", g)
	}
	rv := rep.Readiness
	if rv == nil || rv.Ready != 1 || rv.NotReady != 2 || len(rv.Blockers) != 2 {
		t.Fatalf("readiness: %+v", rv)
	}
	// Only callers without a source identity (or from the console) block; most without first.
	want0 := htmlreport.Blocker{Principal: "arn:aws:sts::222233334444:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com",
		Roles: []string{"arn:aws:iam::222233334444:role/console-admins"}, RoleCount: 1, Assumptions: 5, WithoutSourceIdentity: 5,
		LastSeen: "2026-11-29T16:20:00Z", Clients: []string{"console"}, Console: true,
		Actions: []string{"console role switching cannot set a source identity: keep this role in allow, or sign in through an identity provider that sets one"}}
	if diff := cmp.Diff(want0, rv.Blockers[0]); diff != "" {
		t.Errorf("first blocker (-want +got):\n%s", diff)
	}
	if b := rv.Blockers[1]; b.Principal != "arn:aws:iam::444455556666:role/ci-runner" || b.WithoutSourceIdentity != 2 {
		t.Errorf("second blocker: %+v", b)
	}
	if diff := cmp.Diff([]htmlreport.ReadyAccount{{Label: "111122223333", Roles: []string{"arn:aws:iam::111122223333:role/jobs/batch-worker"}}}, rv.ReadyByAccount); diff != "" {
		t.Errorf("ready roles (-want +got):\n%s", diff)
	}
}

// A big organization: the page lists at most MaxListedOpenRoles open roles, the same number
// from every group, and counts the rest; blockers are merged by principal and capped.
func TestLimits(t *testing.T) {
	var lines []string
	for a := 0; a < 30; a++ {
		for r := 0; r < 400; r++ {
			lines = append(lines, fmt.Sprintf(`{"account":"%012d","role":"r%d","arn":"arn:aws:iam::%012d:role/r%d","path":"/","decision":"would-patch","reason":"x","mode":"audit","findings":[]}`, a, r, a, r))
		}
	}
	for r := 0; r < 2*htmlreport.MaxBlockers; r++ {
		lines = append(lines, fmt.Sprintf(`{"role":"arn:aws:iam::000000000001:role/b%d","assumptions":1,"withoutSourceIdentity":1,"ready":false,"callers":[{"principal":"p%d","assumptions":1,"withoutSourceIdentity":1},{"principal":"everyone","assumptions":1,"withoutSourceIdentity":1}]}`, r, r))
	}
	in := decodeString(t, "big", strings.Join(lines, "\n"))
	rep := htmlreport.Build([]htmlreport.Input{in}, htmlreport.Options{})
	listed, all := 0, 0
	for _, a := range rep.Accounts {
		for _, g := range a.Groups {
			listed += g.Shown
			all += len(g.Roles)
			if g.Shown != 166 || g.MoreRoles() != 400-166 {
				t.Fatalf("group of %s lists %d of %d; want 166 (30 groups x 166 <= %d)", a.Label, g.Shown, len(g.Roles), htmlreport.MaxListedOpenRoles)
			}
		}
	}
	if all != 12000 || listed > htmlreport.MaxListedOpenRoles {
		t.Errorf("listed %d of %d open roles", listed, all)
	}
	rv := rep.Readiness
	if len(rv.Blockers) != htmlreport.MaxBlockers || rv.MoreBlockers != htmlreport.MaxBlockers+1 {
		t.Errorf("%d blockers listed, %d more; want %d and %d", len(rv.Blockers), rv.MoreBlockers, htmlreport.MaxBlockers, htmlreport.MaxBlockers+1)
	}
	if b := rv.Blockers[0]; b.Principal != "everyone" || b.RoleCount != 2*htmlreport.MaxBlockers || len(b.Roles) != htmlreport.MaxRolesPerBlocker || b.MoreRoles() != 2*htmlreport.MaxBlockers-htmlreport.MaxRolesPerBlocker {
		t.Errorf("the caller blocking every role: %+v", b)
	}
	var page bytes.Buffer
	if err := htmlreport.Render(&page, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), "And 234 more like these.") || !strings.Contains(page.String(), "The page lists 4,980 of the open roles") || !strings.Contains(page.String(), "And 1,001 more callers") {
		t.Error("the page does not say how many roles and callers it does not list")
	}
}

func TestBuildDuplicates(t *testing.T) {
	first := decodeString(t, "a", scanLine)
	second := decodeString(t, "b", strings.NewReplacer(`"compliant"`, `"would-patch"`).Replace(scanLine))
	rep := htmlreport.Build([]htmlreport.Input{first, second}, htmlreport.Options{})
	if rep.Total.Judged != 1 || rep.Total.Open != 1 {
		t.Errorf("a role in two inputs: total %+v; want it once, from the later record (open)", rep.Total)
	}
	if rep.Inputs[1].DuplicateRecords != 1 {
		t.Errorf("inputs %+v; want the second to count one duplicate", rep.Inputs)
	}
}

// Share never claims all or nothing for a part.
func TestShareProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := rapid.IntRange(1, 10_000_000).Draw(t, "d")
		n := rapid.IntRange(0, d).Draw(t, "n")
		s := htmlreport.Share(n, d)
		if (s == "0%") != (n == 0) || (s == "100%") != (n == d) || s == "0.0%" || s == "100.0%" {
			t.Fatalf("Share(%d, %d) = %q", n, d, s)
		}
		if !regexp.MustCompile(`^([<>]?\d{1,3}(\.\d)?%)$`).MatchString(s) {
			t.Fatalf("Share(%d, %d) = %q: not a percentage", n, d, s)
		}
	})
}

func TestNum(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 123456789: "123,456,789", -1234: "-1,234"} {
		if got := htmlreport.Num(n); got != want {
			t.Errorf("Num(%d) = %q; want %q", n, got, want)
		}
	}
}

// The page's structure: every element, attribute and text of a report from the fixtures.
// go test ./shared/htmlreport -run TestGolden -update rewrites the files.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inputs []string
	}{
		{"org-with-readiness", []string{"scan-org.jsonl", "readiness.jsonl"}},
		{"single-account", []string{"scan-single.jsonl"}},
		{"readiness-only", []string{"readiness.jsonl"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := htmlreport.Render(&b, fixtureReport(t, tc.inputs...)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), b.String()); diff != "" {
				t.Errorf("%s differs (-want +got; -update rewrites):\n%s", path, diff)
			}
		})
	}
}

// Nothing in the page may make a browser fetch anything: no script, no external reference.
func TestSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := htmlreport.Render(&b, fixtureReport(t, "scan-org.jsonl", "readiness.jsonl", "scan-single.jsonl")); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "src=", "http://", "https://", "url(http", "<object", "<embed"} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "#") {
			t.Errorf("link %q leaves the page", m[1])
		}
	}
	// Every header cell says what it heads.
	if n := len(regexp.MustCompile(`<th[ >]`).FindAllString(page, -1)) - strings.Count(page, "<th scope="); n != 0 {
		t.Errorf("%d <th> without scope", n)
	}
	// The role name with HTML characters is escaped.
	if !strings.Contains(page, "ops &lt;admin&gt; &amp; co") {
		t.Errorf("role name with <, > and & not escaped as text")
	}
	// Every account named with its counts in text.
	for _, want := range []string{
		`<th scope="row"><a href="#a-111122223333">111122223333</a></th><td class="n">5</td><td class="n">3</td>`,
		`<th scope="row">222233334444</th><td class="n">3</td><td class="n">0</td>`,
		`<th scope="row"><a href="#a-unknown">this account (unknown id)</a></th><td class="n">1</td><td class="n">1</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks the account row %s", want)
		}
	}
}
