package credprocess

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestValidateSourceIdentity(t *testing.T) {
	tests := []struct {
		v  string
		ok bool
	}{
		{"alice", true}, {"al", true}, {"a", false}, {"", false},
		{"alice@example.com", true}, {"DiegoRamirez", true}, {"ci_pipeline-7+x=y,z", true},
		{strings.Repeat("a", 64), true}, {strings.Repeat("a", 65), false},
		{"alice smith", false}, {"alice/x", false}, {"aws:alice", false}, {"élise", false}, {"a\n", false},
	}
	for _, tt := range tests {
		err := ValidateSourceIdentity(tt.v)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateSourceIdentity(%q) = %v; want ok=%v", tt.v, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidSourceIdentity) {
			t.Errorf("ValidateSourceIdentity(%q) error does not wrap ErrInvalidSourceIdentity", tt.v)
		}
	}
}

// The validator agrees with STS's model: min 2, max 64, pattern [\w+=,.@-]*.
func TestValidateSourceIdentityMatchesTheModel(t *testing.T) {
	model := regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.StringOfN(rapid.RuneFrom([]rune("aZ09_+=,.@-: /é\x00")), 0, 70, -1).Draw(t, "v")
		if got, want := ValidateSourceIdentity(v) == nil, model.MatchString(v); got != want {
			t.Fatalf("ValidateSourceIdentity(%q) ok=%v; the model says %v", v, got, want)
		}
	})
}

func TestParseCallerARN(t *testing.T) {
	tests := []struct {
		arn  string
		want Caller
		err  bool
	}{
		{"arn:aws:iam::111122223333:user/alice", Caller{Kind: KindUser, Account: "111122223333", Name: "alice"}, false},
		{"arn:aws:iam::111122223333:user/people/eng/alice", Caller{Kind: KindUser, Account: "111122223333", Name: "alice"}, false},
		{"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_0123/alice@example.com", Caller{Kind: KindRoleSession, Account: "111122223333", Role: "AWSReservedSSO_Dev_0123", Name: "alice@example.com"}, false},
		{"arn:aws-cn:sts::111122223333:assumed-role/deployer/ci", Caller{Kind: KindRoleSession, Account: "111122223333", Role: "deployer", Name: "ci"}, false},
		{"arn:aws:iam::111122223333:root", Caller{Kind: KindRoot, Account: "111122223333"}, false},
		{"arn:aws:sts::111122223333:federated-user/bob", Caller{Kind: KindFederatedUser, Account: "111122223333", Name: "bob"}, false},
		{"arn:aws:sts::123456789012:user/moto", Caller{Kind: KindUser, Account: "123456789012", Name: "moto"}, false},
		{"arn:aws:sts::111122223333:assumed-role/deployer", Caller{}, true},
		{"arn:aws:iam::111122223333:role/deployer", Caller{}, true},
		{"not-an-arn", Caller{}, true},
	}
	for _, tt := range tests {
		got, err := ParseCallerARN(tt.arn)
		if (err != nil) != tt.err {
			t.Errorf("ParseCallerARN(%q) error = %v; want error %v", tt.arn, err, tt.err)
			continue
		}
		if tt.err {
			continue
		}
		tt.want.ARN = tt.arn
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseCallerARN(%q) (-want +got):\n%s", tt.arn, diff)
		}
	}
}

func TestDefaultSourceIdentity(t *testing.T) {
	for _, tt := range []struct {
		arn, want, err string
	}{
		{"arn:aws:iam::111122223333:user/people/alice", "alice", ""},
		{"arn:aws:sts::111122223333:assumed-role/dev/alice@example.com", "alice@example.com", ""},
		{"arn:aws:iam::111122223333:user/x", "", "invalid source identity"},
		{"arn:aws:iam::111122223333:root", "", "root user"},
		{"arn:aws:sts::111122223333:federated-user/bob", "", "cannot call AssumeRole"},
	} {
		c, err := ParseCallerARN(tt.arn)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DefaultSourceIdentity(c)
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("DefaultSourceIdentity(%s) = %q, %v; want %q, error containing %q", tt.arn, got, err, tt.want, tt.err)
		}
	}
}

// fakeSTS answers like STS: AssumeRole echoes the SI sent, or passes on the base session's.
type fakeSTS struct {
	arn       string
	baseSI    string // SI the base session carries
	err       error
	calls     []AssumeInput
	callerIDs int
}

func (f *fakeSTS) CallerIdentity(context.Context) (string, error) { f.callerIDs++; return f.arn, nil }

func (f *fakeSTS) AssumeRole(_ context.Context, in AssumeInput) (Credentials, error) {
	f.calls = append(f.calls, in)
	if f.err != nil {
		return Credentials{}, f.err
	}
	si := in.SourceIdentity
	if f.baseSI != "" {
		if si != "" && si != f.baseSI {
			return Credentials{}, ErrSourceIdentityRefused
		}
		si = f.baseSI
	}
	return Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t", Expiration: time.Now().Add(time.Hour), SourceIdentity: si}, nil
}

func TestChooseAndAssume(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/deployer"
	user := "arn:aws:iam::111122223333:user/alice"
	session := "arn:aws:sts::111122223333:assumed-role/dev/alice@example.com"
	tests := []struct {
		name       string
		sts        fakeSTS
		req        Request
		wantSent   string // SourceIdentity sent
		wantSI     string // SI of the new session
		wantOrigin string
		wantCaller int // GetCallerIdentity calls
		wantErr    error
	}{
		{"user name", fakeSTS{arn: user}, Request{}, "alice", "alice", "user name", 1, nil},
		{"session name", fakeSTS{arn: session}, Request{}, "alice@example.com", "alice@example.com", "session name", 1, nil},
		{"flag", fakeSTS{arn: user}, Request{SourceIdentity: "ci-7"}, "ci-7", "ci-7", "flag", 0, nil},
		{"known from cache", fakeSTS{arn: session, baseSI: "alice"}, Request{KnownSourceIdentity: "alice"}, "alice", "alice", "base session", 0, nil},
		{"keep", fakeSTS{arn: session, baseSI: "alice"}, Request{Keep: true}, "", "alice", "keep", 0, nil},
		{"keep without a base SI", fakeSTS{arn: session}, Request{Keep: true}, "", "", "keep", 0, ErrNoSourceIdentity},
		{"session with another SI", fakeSTS{arn: session, baseSI: "alice"}, Request{}, "alice@example.com", "", "session name", 1, ErrSourceIdentityRefused},
		{"flag invalid", fakeSTS{arn: user}, Request{SourceIdentity: "a b"}, "", "", "", 0, ErrInvalidSourceIdentity},
		{"not assumable", fakeSTS{arn: user, err: ErrRoleNotAssumable}, Request{}, "alice", "", "user name", 1, ErrRoleNotAssumable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.RoleARN = role
			f := tt.sts
			ch, err := Choose(context.Background(), &f, tt.req)
			var cr Credentials
			if err == nil {
				if ch.Origin != tt.wantOrigin {
					t.Errorf("Origin = %q; want %q", ch.Origin, tt.wantOrigin)
				}
				cr, err = Assume(context.Background(), &f, tt.req, ch)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("error = %v; want %v", err, tt.wantErr)
			}
			if f.callerIDs != tt.wantCaller {
				t.Errorf("GetCallerIdentity calls = %d; want %d", f.callerIDs, tt.wantCaller)
			}
			if tt.wantErr == ErrInvalidSourceIdentity {
				if len(f.calls) != 0 {
					t.Errorf("an invalid value was sent: %v", f.calls)
				}
				return
			}
			if len(f.calls) != 1 || f.calls[0].SourceIdentity != tt.wantSent {
				t.Fatalf("AssumeRole calls = %+v; want one sending %q", f.calls, tt.wantSent)
			}
			if f.calls[0].SessionName == "" {
				t.Error("AssumeRole without a session name")
			}
			if tt.wantErr == nil && cr.SourceIdentity != tt.wantSI {
				t.Errorf("session SI = %q; want %q", cr.SourceIdentity, tt.wantSI)
			}
		})
	}
}

func TestAdviceIsOneLineAndSaysWhatToDo(t *testing.T) {
	req := Request{RoleARN: "arn:aws:iam::111122223333:role/deployer"}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{errors.Join(ErrNoBaseCredentials, errors.New("no EC2 IMDS role\nfound")), "--source-profile"},
		{ErrRoleNotAssumable, "trust policy names your principal"},
		{ErrSourceIdentityRefused, "sidguard caller-policy --role-arn arn:aws:iam::111122223333:role/deployer"},
		{ErrSourceIdentityRefused, "--keep-source-identity"},
		{ErrNoSourceIdentity, "drop --keep-source-identity"},
	} {
		got := Advice(tt.err, req, "base")
		if strings.Contains(got, "\n") || !strings.Contains(got, tt.want) {
			t.Errorf("Advice(%v) = %q; want one line containing %q", tt.err, got, tt.want)
		}
	}
}

func TestProcessJSON(t *testing.T) {
	exp := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("x", 3600))
	got, err := Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t", Expiration: exp, SourceIdentity: "alice"}.ProcessJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":1,"AccessKeyId":"ASIA1","SecretAccessKey":"s","SessionToken":"t","Expiration":"2026-12-01T09:00:00Z"}` + "\n"
	if string(got) != want {
		t.Errorf("ProcessJSON = %s; want %s", got, want)
	}
	if _, err := (Credentials{AccessKeyID: "A"}).ProcessJSON(); err == nil {
		t.Error("ProcessJSON of incomplete credentials: no error")
	}
	if s := (Credentials{AccessKeyID: "A", SecretAccessKey: "secret", SessionToken: "token"}).String(); strings.Contains(s, "secret") || strings.Contains(s, "token") {
		t.Errorf("String() = %q shows a secret", s)
	}
}

func TestFresh(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		issued, exp time.Duration // relative to now
		want        bool
	}{
		{-time.Minute, 59 * time.Minute, true},
		{-45 * time.Minute, 15*time.Minute + time.Second, true},
		{-45 * time.Minute, 15 * time.Minute, false},
		{-time.Minute, 14 * time.Minute, true},     // 15-minute session: the margin is half its life
		{-8 * time.Minute, 7 * time.Minute, false}, // past half
		{0, 0, false},
	} {
		c := Credentials{Issued: now.Add(tt.issued), Expiration: now.Add(tt.exp)}
		if tt.exp == 0 {
			c.Expiration = time.Time{}
		}
		if got := Fresh(c, now); got != tt.want {
			t.Errorf("Fresh(issued %v, expires %v) = %v; want %v", tt.issued, tt.exp, got, tt.want)
		}
	}
}

func TestCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sidguard", "credentials")
	c := Cache{Dir: dir}
	now := time.Now()
	k := Key{RoleARN: "arn:aws:iam::111122223333:role/deployer", SourceProfile: "base", BaseAccessKeyID: "AKIA1"}
	cr := Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t", Expiration: now.Add(time.Hour).Truncate(time.Second), Issued: now.Truncate(time.Second), SourceIdentity: "alice"}
	if _, ok := c.Load(k, now); ok {
		t.Fatal("hit in an empty cache")
	}
	if err := c.Store(k, cr); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Load(k, now)
	if !ok {
		t.Fatal("miss after Store")
	}
	if diff := cmp.Diff(cr.Expiration.UTC(), got.Expiration.UTC()); diff != "" || got.SecretAccessKey != "s" || got.SourceIdentity != "alice" {
		t.Errorf("Load = %v; want %v", got, cr)
	}
	path := filepath.Join(dir, k.FileName())
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("entry mode %v; want 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v; want 0700", st.Mode().Perm())
	}
	if si, ok := c.SourceIdentityOf("ASIA1", now); !ok || si != "alice" {
		t.Errorf("SourceIdentityOf(ASIA1) = %q, %v; want alice", si, ok)
	}
	if _, ok := c.SourceIdentityOf("ASIA2", now); ok {
		t.Error("SourceIdentityOf an unknown key: found")
	}
	other := k
	other.BaseAccessKeyID = "AKIA2"
	if _, ok := c.Load(other, now); ok {
		t.Error("another base key got the entry")
	}
	if _, ok := c.Load(k, now.Add(50*time.Minute)); ok {
		t.Error("entry used inside the refresh margin")
	}
	// An entry others can read is ignored.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Load(k, now); ok {
		t.Error("entry with mode 0644 was used")
	}
	// Store replaces it with a private one; Prune removes expired entries.
	if err := c.Store(k, cr); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Load(k, now); !ok {
		t.Error("miss after Store replaced a world-readable entry")
	}
	c.Prune(now.Add(2 * time.Hour))
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("expired entry still there after Prune: %v", err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	// A cache directory others can read is refused.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(k, cr); err == nil {
		t.Error("Store into a 0755 directory: no error")
	}
}

// Different requests never share a cache file.
func TestKeyFileNamesDiffer(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringMatching(`[a-z:/,]{0,6}`)
		a := Key{RoleARN: s.Draw(t, "r1"), SourceProfile: s.Draw(t, "p1"), SourceIdentity: s.Draw(t, "s1"), ExternalID: s.Draw(t, "e1"), BaseAccessKeyID: s.Draw(t, "b1")}
		b := Key{RoleARN: s.Draw(t, "r2"), SourceProfile: s.Draw(t, "p2"), SourceIdentity: s.Draw(t, "s2"), ExternalID: s.Draw(t, "e2"), BaseAccessKeyID: s.Draw(t, "b2")}
		if (a == b) != (a.FileName() == b.FileName()) {
			t.Fatalf("keys %+v and %+v: equal %v, same file name %v", a, b, a == b, a.FileName() == b.FileName())
		}
	})
}
