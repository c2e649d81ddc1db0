package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

// fakeRoles serves pages of roles and records the calls, like IAM would.
type fakeRoles struct {
	pageSize  int
	roles     []iamrole.Role
	tags      map[string]map[string]string
	getErr    map[string]error
	changed   map[string][]byte // the role's document as GetRole returns it, when it changed after ListRoles
	updateErr map[string]error
	listErr   map[string]error // by marker

	mu      sync.Mutex
	calls   map[string]int
	updated map[string][]byte
}

func newFake(pageSize int, roles ...iamrole.Role) *fakeRoles {
	f := &fakeRoles{pageSize: pageSize, tags: map[string]map[string]string{},
		getErr: map[string]error{}, changed: map[string][]byte{}, updateErr: map[string]error{}, listErr: map[string]error{},
		calls: map[string]int{}, updated: map[string][]byte{}}
	for _, r := range roles {
		if r.Tags != nil {
			f.tags[r.Name] = r.Tags
			r.Tags = nil // ListRoles does not return tags
		}
		f.roles = append(f.roles, r)
	}
	return f
}

func (f *fakeRoles) count(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
}

func (f *fakeRoles) ListPage(_ context.Context, marker string) ([]iamrole.Role, string, error) {
	f.count("ListRoles")
	if err := f.listErr[marker]; err != nil {
		return nil, "", err
	}
	start := 0
	if marker != "" {
		n, err := strconv.Atoi(marker)
		if err != nil || n < 0 || n > len(f.roles) {
			return nil, "", fmt.Errorf("list roles (marker %q): invalid marker", marker)
		}
		start = n
	}
	end := min(start+f.pageSize, len(f.roles))
	next := ""
	if end < len(f.roles) {
		next = strconv.Itoa(end)
	}
	return append([]iamrole.Role(nil), f.roles[start:end]...), next, nil
}

func (f *fakeRoles) Get(_ context.Context, name string) (iamrole.Role, error) {
	f.count("GetRole")
	if err := f.getErr[name]; err != nil {
		return iamrole.Role{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.roles {
		if r.Name == name {
			if doc, ok := f.updated[name]; ok {
				r.TrustPolicy = doc
			} else if doc, ok := f.changed[name]; ok {
				r.TrustPolicy = doc
			}
			r.Tags = map[string]string{}
			for k, v := range f.tags[name] {
				r.Tags[k] = v
			}
			return r, nil
		}
	}
	return iamrole.Role{}, fmt.Errorf("get role %q: %w", name, iamrole.ErrNotFound)
}

func (f *fakeRoles) UpdateTrustPolicy(_ context.Context, name string, policy []byte) error {
	f.count("UpdateAssumeRolePolicy")
	if err := f.updateErr[name]; err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updated[name] = policy
	return nil
}

func readPolicy(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compliantPolicy is what the guard itself makes of a non-compliant policy under require, so the
// test does not restate the engine's idea of compliance.
func compliantPolicy(t *testing.T) []byte {
	t.Helper()
	v := guard.Policy{Mode: guard.ModeRequire}.Decide(iamrole.Role{Name: "x", Path: "/", TrustPolicy: readPolicy(t, "account-root.json"), Tags: map[string]string{}})
	if v.Decision != guard.Patched || v.After == nil {
		t.Fatalf("Decide(account-root.json) = %s (%s); want patched", v.Decision, v.Reason)
	}
	return v.After
}

func role(name, path string, policy []byte, tags map[string]string) iamrole.Role {
	return iamrole.Role{Name: name, Path: path, ARN: "arn:aws:iam::123456789012:role" + path + name,
		ID: "AROA" + name, TrustPolicy: policy, Tags: tags}
}

// kinds is one role of each kind the sweep must tell apart.
func kinds(t *testing.T) []iamrole.Role {
	open := readPolicy(t, "account-root.json")
	return []iamrole.Role{
		role("compliant", "/", compliantPolicy(t), nil),
		role("open", "/", open, nil),
		role("exempt-by-tag", "/", open, map[string]string{guard.TagExempt: "vendor integration"}),
		role("mode-allow-by-tag", "/", open, map[string]string{guard.TagMode: "allow"}),
		role("service", "/service-role/", readPolicy(t, "lambda-service.json"), nil),
		role("AWSServiceRoleForSupport", "/aws-service-role/support.amazonaws.com/", open, nil),
		role("AWSReservedSSO_Admin_0123456789abcdef", "/aws-reserved/sso.amazonaws.com/", open, nil),
		role("exempt-by-pattern", "/legacy/", open, nil),
		role("wildcard", "/", readPolicy(t, "wildcard-principal.json"), nil),
	}
}

func run(t *testing.T, s *Sweeper, from Position) (Summary, []Result, error) {
	t.Helper()
	var got []Result
	sum, err := s.Run(t.Context(), from, func(r Result) { got = append(got, r) })
	return sum, got, err
}

func decisions(rs []Result) map[string]guard.Decision {
	m := map[string]guard.Decision{}
	for _, r := range rs {
		m[r.Role.Name] = r.Verdict.Decision
	}
	return m
}

func TestRunDecisionsAndCalls(t *testing.T) {
	tests := []struct {
		name       string
		mode       guard.Mode
		trustTags  bool
		dryRun     bool
		want       map[string]guard.Decision
		wantCalls  map[string]int
		wantWrites []string
	}{
		{
			name: "require, tags protected",
			mode: guard.ModeRequire, trustTags: true,
			want: map[string]guard.Decision{
				"compliant": guard.Compliant, "open": guard.Patched, "exempt-by-tag": guard.Exempt,
				"mode-allow-by-tag": guard.Patched, "service": guard.Compliant,
				"AWSServiceRoleForSupport": guard.Patched, "AWSReservedSSO_Admin_0123456789abcdef": guard.Patched,
				"exempt-by-pattern": guard.Exempt, "wildcard": guard.Unfixable,
			},
			// GetRole (document and tags) for the six non-compliant roles no pattern exempts, then
			// one write each for the fixable ones: 2 calls per patched role; nothing for the
			// compliant ones.
			wantCalls:  map[string]int{"ListRoles": 2, "GetRole": 6, "UpdateAssumeRolePolicy": 4},
			wantWrites: []string{"AWSReservedSSO_Admin_0123456789abcdef", "AWSServiceRoleForSupport", "mode-allow-by-tag", "open"},
		},
		{
			name: "require, tags not protected: the exempt tag exempts nothing",
			mode: guard.ModeRequire,
			want: map[string]guard.Decision{
				"compliant": guard.Compliant, "open": guard.Patched, "exempt-by-tag": guard.Patched,
				"mode-allow-by-tag": guard.Patched, "service": guard.Compliant,
				"AWSServiceRoleForSupport": guard.Patched, "AWSReservedSSO_Admin_0123456789abcdef": guard.Patched,
				"exempt-by-pattern": guard.Exempt, "wildcard": guard.Unfixable,
			},
			// The unfixable role needs no tags and no write: no call beyond ListRoles.
			wantCalls: map[string]int{"ListRoles": 2, "GetRole": 5, "UpdateAssumeRolePolicy": 5},
			wantWrites: []string{"AWSReservedSSO_Admin_0123456789abcdef", "AWSServiceRoleForSupport", "exempt-by-tag",
				"mode-allow-by-tag", "open"},
		},
		{
			name: "audit writes nothing, whatever a role's mode tag says",
			mode: guard.ModeAudit, trustTags: true,
			want: map[string]guard.Decision{
				"compliant": guard.Compliant, "open": guard.WouldPatch, "exempt-by-tag": guard.Exempt,
				"mode-allow-by-tag": guard.WouldPatch, "service": guard.Compliant,
				"AWSServiceRoleForSupport": guard.WouldPatch, "AWSReservedSSO_Admin_0123456789abcdef": guard.WouldPatch,
				"exempt-by-pattern": guard.Exempt, "wildcard": guard.Unfixable,
			},
			wantCalls: map[string]int{"ListRoles": 2, "GetRole": 6},
		},
		{
			name:   "dry run (scan without --fix) writes nothing",
			mode:   guard.ModeRequire,
			dryRun: true, trustTags: true,
			want: map[string]guard.Decision{
				"compliant": guard.Compliant, "open": guard.WouldPatch, "exempt-by-tag": guard.Exempt,
				"mode-allow-by-tag": guard.WouldPatch, "service": guard.Compliant,
				"AWSServiceRoleForSupport": guard.WouldPatch, "AWSReservedSSO_Admin_0123456789abcdef": guard.WouldPatch,
				"exempt-by-pattern": guard.Exempt, "wildcard": guard.Unfixable,
			},
			wantCalls: map[string]int{"ListRoles": 2, "GetRole": 6},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(5, kinds(t)...)
			s := &Sweeper{Roles: f, DryRun: tt.dryRun, Policy: guard.Policy{Mode: tt.mode, TrustTags: tt.trustTags, ExemptRolePatterns: []string{"/legacy/*"}}}
			sum, got, err := run(t, s, Position{})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if diff := cmp.Diff(tt.want, decisions(got)); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, f.calls); diff != "" {
				t.Errorf("API calls (-want +got):\n%s", diff)
			}
			var writes []string
			for name := range f.updated {
				writes = append(writes, name)
			}
			if diff := cmp.Diff(tt.wantWrites, writes, sortStrings); diff != "" {
				t.Errorf("roles written (-want +got):\n%s", diff)
			}
			for name, doc := range f.updated {
				if string(doc) == string(readPolicy(t, "account-root.json")) {
					t.Errorf("role %s: wrote the unchanged policy", name)
				}
			}
			if !sum.Completed || !sum.CompletePass || sum.Roles != len(tt.want) || sum.Pages != 2 || sum.Next != nil {
				t.Errorf("summary = completed %v, complete pass %v, roles %d, pages %d, next %v; want true, true, %d, 2, nil",
					sum.Completed, sum.CompletePass, sum.Roles, sum.Pages, sum.Next, len(tt.want))
			}
			wantCounts := map[guard.Decision]int{}
			for _, d := range tt.want {
				wantCounts[d]++
			}
			if diff := cmp.Diff(wantCounts, sum.Counts); diff != "" {
				t.Errorf("summary counts (-want +got):\n%s", diff)
			}
			wantExempt := map[string]int{"pattern:/legacy/*": 1}
			if tt.trustTags {
				wantExempt["tag"] = 1
			}
			if diff := cmp.Diff(wantExempt, sum.Exemptions); diff != "" {
				t.Errorf("summary exemptions by reason (-want +got):\n%s", diff)
			}
			var names []string
			for _, r := range got {
				names = append(names, r.Role.Name)
			}
			var wantOrder []string
			for _, r := range f.roles {
				wantOrder = append(wantOrder, r.Name)
			}
			if diff := cmp.Diff(wantOrder, names); diff != "" {
				t.Errorf("emit order is not ListRoles order (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunWritesOnlyWhatItRead: an owner changes a role between ListRoles and the sweep's turn
// (removing an account it trusted). The sweep judges and fixes the document GetRole returns,
// so the removed account is not trusted again; 2 calls for the role.
func TestRunWritesOnlyWhatItRead(t *testing.T) {
	listed := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","arn:aws:iam::777788889999:root"]},"Action":"sts:AssumeRole"}]}`)
	now := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`)
	f := newFake(10, role("app", "/", listed, nil))
	f.changed["app"] = now
	s := &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeRequire}}
	_, got, err := run(t, s, Position{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Verdict.Decision != guard.Patched {
		t.Fatalf("results = %+v; want one patched", got)
	}
	written := string(f.updated["app"])
	if strings.Contains(written, "777788889999") {
		t.Errorf("the sweep trusted the removed account again: %s", written)
	}
	if !strings.Contains(written, "444455556666") || string(got[0].Verdict.Before) != string(now) {
		t.Errorf("wrote %s from %s; want the fix of the current document %s", written, got[0].Verdict.Before, now)
	}
	if diff := cmp.Diff(map[string]int{"ListRoles": 1, "GetRole": 1, "UpdateAssumeRolePolicy": 1}, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// TestRunNothingJudged: a run that judged nothing never reports compliance 100%.
func TestRunNothingJudged(t *testing.T) {
	f := newFake(10, role("legacy-a", "/", readPolicy(t, "account-root.json"), nil))
	s := &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeRequire, ExemptRolePatterns: []string{"legacy-*"}}}
	sum, _, err := run(t, s, Position{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Judged != 0 || sum.ComplianceRatio == 1 {
		t.Errorf("judged %d, compliance %v; want 0 judged and no 100%%", sum.Judged, sum.ComplianceRatio)
	}
	empty := newFake(10)
	sum, _, _ = run(t, &Sweeper{Roles: empty}, Position{})
	if sum.ComplianceRatio == 1 || sum.Judged != 0 {
		t.Errorf("empty account: judged %d, compliance %v; want no 100%%", sum.Judged, sum.ComplianceRatio)
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestComplianceRatio(t *testing.T) {
	tests := []struct {
		counts map[guard.Decision]int
		judged int
		want   float64
	}{
		{map[guard.Decision]int{}, 0, 0},
		{map[guard.Decision]int{guard.Exempt: 3, guard.Skipped: 1}, 0, 0},
		{map[guard.Decision]int{guard.Compliant: 3, guard.WouldPatch: 1}, 4, 0.75},
		{map[guard.Decision]int{guard.Compliant: 1, guard.Patched: 1, guard.Unfixable: 2, guard.Exempt: 5}, 4, 0.5},
	}
	for _, tt := range tests {
		if judged, got := ratio(tt.counts); got != tt.want || judged != tt.judged {
			t.Errorf("ratio(%v) = %d, %v; want %d, %v", tt.counts, judged, got, tt.judged, tt.want)
		}
	}
}

// stepClock advances by step every time it is read.
type stepClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func TestRunResumesAfterDeadline(t *testing.T) {
	open := readPolicy(t, "account-root.json")
	var roles []iamrole.Role
	for i := range 23 {
		roles = append(roles, role(fmt.Sprintf("role-%02d", i), "/", open, nil))
	}
	f := newFake(5, roles...)
	// The fake clock starts an hour ahead of the real one, so the context's real deadline never
	// fires: only the sweep's own margin check stops it.
	clock := &stepClock{t: time.Now().Add(time.Hour), step: time.Second}
	s := &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeRequire}, Now: clock.Now,
		Margin: 10 * time.Second, Concurrency: 2}

	seen := map[string]int{}
	pos := Position{}
	var runs int
	var resumed, stopped bool
	for runs = 1; runs <= 20; runs++ {
		ctx, cancel := context.WithDeadline(t.Context(), clock.Now().Add(18*time.Second))
		sum, err := s.Run(ctx, pos, func(r Result) {
			seen[r.Role.Name]++
			if r.Verdict.Decision != guard.Patched {
				t.Errorf("role %s: %s (%s); want patched", r.Role.Name, r.Verdict.Decision, r.Verdict.Reason)
			}
		})
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v", runs, err)
		}
		resumed = resumed || sum.Resumed
		if sum.Completed {
			if sum.Next != nil || sum.StopReason != "" {
				t.Errorf("run %d completed with next %+v, stop reason %q", runs, sum.Next, sum.StopReason)
			}
			break
		}
		stopped = true
		if sum.StopReason != "deadline" || sum.Next == nil {
			t.Fatalf("run %d: incomplete with stop reason %q, next %v; want deadline and a position", runs, sum.StopReason, sum.Next)
		}
		if !sum.Next.Since.Equal(firstSince(pos, sum)) {
			t.Errorf("run %d: next.Since = %v; want the cycle start %v", runs, sum.Next.Since, firstSince(pos, sum))
		}
		pos = *sum.Next
	}
	if !stopped || !resumed || runs < 3 {
		t.Fatalf("sweep finished in %d run(s) (stopped %v, resumed %v); the clock should force several", runs, stopped, resumed)
	}
	for _, r := range roles {
		if seen[r.Name] != 1 {
			t.Errorf("role %s reported %d times; want once", r.Name, seen[r.Name])
		}
		if _, ok := f.updated[r.Name]; !ok {
			t.Errorf("role %s never written", r.Name)
		}
	}
	if got := f.calls["UpdateAssumeRolePolicy"]; got != len(roles) {
		t.Errorf("UpdateAssumeRolePolicy calls = %d; want %d (one per role, none repeated)", got, len(roles))
	}
}

func firstSince(pos Position, sum Summary) time.Time {
	if !pos.Since.IsZero() {
		return pos.Since
	}
	return sum.Started
}

func TestRunRestartsWhenSavedMarkerIsRejected(t *testing.T) {
	open := readPolicy(t, "account-root.json")
	f := newFake(2, role("a", "/", open, nil), role("b", "/", open, nil), role("c", "/", open, nil))
	s := &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeAudit}}
	sum, got, err := run(t, s, Position{Marker: "expired-marker", After: "x"})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !sum.Completed || !sum.Restarted || sum.RestartReason == "" || !sum.Resumed {
		t.Errorf("summary = completed %v, restarted %v (%q), resumed %v; want all true", sum.Completed, sum.Restarted, sum.RestartReason, sum.Resumed)
	}
	if len(got) != 3 {
		t.Errorf("roles reported = %d; want 3", len(got))
	}
}

func TestRunStopsOnListError(t *testing.T) {
	open := readPolicy(t, "account-root.json")
	f := newFake(2, role("a", "/", open, nil), role("b", "/", open, nil), role("c", "/", open, nil))
	f.listErr["2"] = fmt.Errorf("list roles (marker %q): %w", "2", iamrole.ErrAccessDenied)
	s := &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeAudit}}
	sum, got, err := run(t, s, Position{})
	if !errors.Is(err, iamrole.ErrAccessDenied) {
		t.Fatalf("Run error = %v; want ErrAccessDenied", err)
	}
	if sum.Completed || sum.StopReason != "error" || sum.Error == "" || sum.Next == nil || sum.Next.Marker != "2" {
		t.Errorf("summary = completed %v, stop %q, error %q, next %+v; want false, error, message, marker 2",
			sum.Completed, sum.StopReason, sum.Error, sum.Next)
	}
	if len(got) != 2 {
		t.Errorf("roles reported = %d; want 2 (the first page)", len(got))
	}
}

func TestRunClassifiesIAMErrors(t *testing.T) {
	open := readPolicy(t, "account-root.json")
	wrap := func(err error) error { return fmt.Errorf("update trust policy: %w", err) }
	f := newFake(10,
		role("deleted", "/", open, nil), role("protected", "/", open, nil), role("too-big", "/", open, nil),
		role("refused", "/", open, nil), role("denied", "/", open, nil), role("throttled", "/", open, nil),
		role("get-denied", "/", open, nil))
	f.updateErr["deleted"] = wrap(iamrole.ErrNotFound)
	f.updateErr["protected"] = wrap(iamrole.ErrUnmodifiable)
	f.updateErr["too-big"] = wrap(iamrole.ErrLimitExceeded)
	f.updateErr["refused"] = wrap(iamrole.ErrMalformedPolicy)
	f.updateErr["denied"] = wrap(iamrole.ErrAccessDenied)
	f.updateErr["throttled"] = wrap(iamrole.ErrThrottled)
	f.getErr["get-denied"] = fmt.Errorf("get role: %w", iamrole.ErrAccessDenied)
	s := &Sweeper{Roles: f, Policy: guard.Policy{Mode: guard.ModeRequire}}
	sum, got, err := run(t, s, Position{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := map[string]guard.Decision{
		"deleted": guard.Skipped, "protected": guard.Unfixable, "too-big": guard.Unfixable,
		"refused": guard.Unfixable, "denied": guard.Failed, "throttled": guard.Failed, "get-denied": guard.Failed,
	}
	if diff := cmp.Diff(want, decisions(got)); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	for _, r := range got {
		// An unfixable decision keeps the refused policy (the event shows what IAM refused);
		// every other failure has none.
		if r.Err == nil || (r.Verdict.After != nil) != (r.Verdict.Decision == guard.Unfixable) {
			t.Errorf("role %s: Err = %v, After set %v; want the IAM error, After only when unfixable", r.Role.Name, r.Err, r.Verdict.After != nil)
		}
	}
	if !sum.Completed {
		t.Errorf("summary completed = false; per-role errors must not stop the sweep")
	}
	if sum.CompletePass {
		t.Errorf("summary completePass = true with %d failed roles; a role that failed was not judged", sum.Counts[guard.Failed])
	}
}
