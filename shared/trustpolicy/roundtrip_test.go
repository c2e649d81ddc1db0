package trustpolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRoundTripKeepsSpelling: escapes, '/' escapes, HTML characters, Latin-1, numbers, booleans, nulls
// and unknown members come back exactly as written; Fix keeps them too.
func TestRoundTripKeepsSpelling(t *testing.T) {
	in := `{"Version":"2012-10-17","Id":"\u0041\/b","Statement":[{"Sid":"","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:AssumeRole",` +
		`"Foo":{"a":[1,-0.5e3,null,true,{"b":[]}]},"Condition":{"StringEquals":{"x":"<&>é\"\\","y":12.50},"Bool":{"z":false}}}]}`
	d := mustParse(t, in)
	if got := d.String(); got != in {
		t.Errorf("round trip:\n got %s\nwant %s", got, in)
	}
	fixed, _ := Fix(d, Rules{})
	want := `{"Version":"2012-10-17","Id":"\u0041\/b","Statement":[{"Sid":"","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],` +
		`"Foo":{"a":[1,-0.5e3,null,true,{"b":[]}]},"Condition":{"StringEquals":{"x":"<&>é\"\\","y":12.50},"Bool":{"z":false},"StringLike":{"sts:SourceIdentity":"*"}}}]}`
	if diff := cmp.Diff(want, fixed.String()); diff != "" {
		t.Errorf("fixed (-want +got):\n%s", diff)
	}
	checkInvariants(t, d, Rules{})
}

func TestGeneratedSids(t *testing.T) {
	const svc = `"Service":"ec2.amazonaws.com"`
	runReviewCases(t, []reviewCase{{
		// XSrcId is taken: the split-off statement gets XSrcId2.
		name: "split Sid collides",
		in: `{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Principal":{"AWS":` + roleA + `,` + svc + `},"Action":"sts:AssumeRole"},` +
			`{"Sid":"XSrcId","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out: `{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Principal":{` + svc + `},"Action":"sts:AssumeRole"},` +
			`{"Sid":"XSrcId2","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}},` +
			`{"Sid":"XSrcId","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
	}, {
		// Sids compare case-insensitively when generated (stricter than IAM): xtags is taken.
		name: "tags Sid collides in another case",
		in: `{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:TagSession"]},` +
			`{"Sid":"xtags","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out: `{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}},` +
			`{"Sid":"XTags2","Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:TagSession"},` +
			`{"Sid":"xtags","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
	}, {
		// An empty Sid is kept as written; split-off statements get none.
		name:  "empty Sid",
		in:    `{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"AWS":` + roleA + `,` + svc + `},"Action":"sts:AssumeRole"}]}`,
		codes: []Code{CodeMissingSetSourceIdentity, CodeMissingCondition},
		out: `{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{` + svc + `},"Action":"sts:AssumeRole"},` +
			`{"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`,
	}})
}

// TestFixDeterministic: Fix gives byte-identical output and findings on every run (no map
// iteration order or shared state leaks into it).
func TestFixDeterministic(t *testing.T) {
	for _, base := range goldenCases(t) {
		in, r := loadCase(t, base)
		d, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		first, firstFs := Fix(d, r)
		want := first.String()
		for range 20 {
			again, fs := Fix(d, r)
			if got := again.String(); got != want {
				t.Fatalf("%s: Fix is not deterministic:\n%s\n%s", base, want, got)
			}
			if diff := cmp.Diff(firstFs, fs); diff != "" {
				t.Fatalf("%s: findings differ between runs:\n%s", base, diff)
			}
		}
	}
}
