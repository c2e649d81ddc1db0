package trustpolicy

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFixSmallestRewrite: a 1,564-character policy with sts:TagSession beside sts:AssumeRole
// (testdata/golden/tag-session-in-place.json). Moving sts:TagSession into a copy of the
// statement makes 2,607 characters, over the default quota; adding sts:SetSourceIdentity and the
// condition in place makes 1,613, so Fix writes that instead of refusing (issue 7, engine
// verdict 5). With room for the preferred rewrite it still moves the tag actions.
func TestFixSmallestRewrite(t *testing.T) {
	b, err := os.ReadFile("testdata/golden/tag-session-in-place.json")
	if err != nil {
		t.Fatal(err)
	}
	d := mustParse(t, string(b))
	if d.Size() != 1564 {
		t.Fatalf("input is %d characters; the case is built to be 1,564", d.Size())
	}
	for _, tc := range []struct {
		limit    int
		size     int
		tagsMove bool
		tooLarge bool
	}{
		{0, 1613, false, false},           // default 2,048: the in-place rewrite
		{MaxSizeLimit, 2607, true, false}, // room for the preferred rewrite
		{2607, 2607, true, false},         // exactly fits
		{2606, 1613, false, false},        // one short: in place
		{1613, 1613, false, false},        // in place exactly fits
		{1612, 1564, false, true},         // nothing fits (below IAM's minimum quota; Fix does not validate)
	} {
		fixed, fs := Fix(d, Rules{SizeLimit: tc.limit})
		tooLarge := false
		for _, f := range fs {
			tooLarge = tooLarge || f.Code == CodeTooLarge
		}
		moved := strings.Contains(fixed.String(), `"Action":"sts:TagSession"`)
		if fixed.Size() != tc.size || moved != tc.tagsMove || tooLarge != tc.tooLarge {
			t.Errorf("limit %d: size %d, tags moved %v, too-large %v; want %d, %v, %v", tc.limit, fixed.Size(), moved, tooLarge, tc.size, tc.tagsMove, tc.tooLarge)
		}
		// Check reports too-large exactly when Fix refuses.
		var checkTooLarge bool
		for _, f := range Check(d, Rules{SizeLimit: tc.limit}) {
			checkTooLarge = checkTooLarge || f.Code == CodeTooLarge
		}
		if checkTooLarge != tooLarge {
			t.Errorf("limit %d: Check too-large %v, Fix too-large %v", tc.limit, checkTooLarge, tooLarge)
		}
		checkInvariants(t, d, Rules{SizeLimit: tc.limit})
	}
}

// TestCheckIsFixWithoutResult: Check's findings are Fix's, Fixed cleared, on every golden case
// under the default quota and a tight one (too-large included: one code path).
func TestCheckIsFixWithoutResult(t *testing.T) {
	for _, base := range goldenCases(t) {
		in, r := loadCase(t, base)
		d, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, limit := range []int{0, d.Size() + 1} {
			r.SizeLimit = limit
			_, fs := Fix(d, r)
			for k := range fs {
				fs[k].Fixed = false
			}
			if diff := cmp.Diff(fs, Check(d, r)); diff != "" {
				t.Errorf("%s, limit %d: Check differs from Fix (-fix +check):\n%s", base, limit, diff)
			}
		}
	}
}

// TestSizeAtQuota: a fixed policy of exactly SizeLimit characters is written; one more
// character makes it too-large (and the input is returned). Escapes count as written (`\"` is
// two characters, `\u0041` six): IAM receives and counts the text, not the decoded value.
func TestSizeAtQuota(t *testing.T) {
	policy := func(pad string) string {
		return stmtA(`"Action":"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"`+pad+`"}}`)
	}
	grow := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'x'
		}
		return string(b)
	}
	d0 := mustParse(t, policy(""))
	f0, _ := Fix(d0, Rules{})
	added := f0.Size() - d0.Size()
	// Pad so that the fixed policy is exactly DefaultSizeLimit characters.
	pad := grow(DefaultSizeLimit - added - d0.Size())
	for _, tc := range []struct {
		name    string
		pad     string
		tooBig  bool
		escapes bool
	}{
		{"fixed policy exactly at the quota", pad, false, false},
		{"one character over", pad + "x", true, false},
		{"escaped quote counts two", pad[2:] + `\"`, false, true},
		{"escaped quote over the quota", pad[1:] + `\"`, true, true},
		{"unicode escape counts six", pad[6:] + `\u0041`, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, policy(tc.pad))
			fixed, fs := Fix(d, Rules{})
			tooLarge := false
			for _, f := range fs {
				tooLarge = tooLarge || f.Code == CodeTooLarge
			}
			if tooLarge != tc.tooBig {
				t.Fatalf("too-large = %v, want %v (input %d characters, %d added by the fix)", tooLarge, tc.tooBig, d.Size(), added)
			}
			if !tc.tooBig && fixed.Size() != DefaultSizeLimit {
				t.Errorf("fixed size %d, want %d", fixed.Size(), DefaultSizeLimit)
			}
			if tc.tooBig && fixed != d {
				t.Errorf("too-large but the policy changed")
			}
			checkInvariants(t, d, Rules{})
		})
	}
	// A compliant policy at (or over) the quota is left alone: IAM holds it already.
	atQuota := stmtA(`"Action":["sts:AssumeRole","sts:SetSourceIdentity"]`, `{"StringLike":{"sts:SourceIdentity":"*"},"StringEquals":{"sts:ExternalId":"`+pad+`"}}`)
	d := mustParse(t, atQuota)
	if fixed, fs := Fix(d, Rules{SizeLimit: d.Size() - 1}); fixed != d || len(fs) != 0 {
		t.Errorf("compliant policy over the quota: Fix changed it or reported %+v", fs)
	}
	// Whitespace outside strings is not counted; inside strings it is.
	spaced := mustParse(t, "{ \"Version\" : \"2012-10-17\",\n\t\"Statement\" : [ ] }")
	if got, want := spaced.Size(), len(`{"Version":"2012-10-17","Statement":[]}`); got != want {
		t.Errorf("whitespace outside strings: Size = %d, want %d", got, want)
	}
	inside := mustParse(t, policy("a b"))
	if got, want := inside.Size(), mustParse(t, policy("abc")).Size(); got != want {
		t.Errorf("whitespace inside a string: Size = %d, want %d (counted)", got, want)
	}
}
