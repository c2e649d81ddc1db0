package trustpolicy

import (
	"bytes"
	"os"
	"testing"
)

// fuzzSeeds adds every golden input and a few hand-written edge cases.
func fuzzSeeds(f *testing.F, add func([]byte)) {
	for _, base := range goldenCases(f) {
		b, err := os.ReadFile(base + ".json")
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
	for _, s := range []string{
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*","Service":"x"},"NotAction":"sts:SetSourceIdentity","Condition":{"Null":{"sts:SourceIdentity":["true","false"]}}}]}`,
		`{"Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":["1","2"],"Federated":"arn:aws:iam::1:saml-provider/x"},"Action":["sts:AssumeRole","sts:TagSession","sts:AssumeRoleWithSAML"]},{"Sid":"ASrcId","Effect":"Deny","Principal":{"AWS":"1"},"Action":"sts:Set*"}]}`,
		`{"Statement":[],"X":"\u00e9\ud83d\ude00"}`,
	} {
		add([]byte(s))
	}
}

func FuzzParse(f *testing.F) {
	fuzzSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		out := mustMarshal(t, d)
		d2, err := Parse(out)
		if err != nil {
			t.Fatalf("marshalled policy does not re-parse: %v\nin  %q\nout %q", err, data, out)
		}
		if out2 := mustMarshal(t, d2); !bytes.Equal(out, out2) {
			t.Fatalf("marshal is not stable:\n%q\n%q", out, out2)
		}
		if d.Size() != len([]rune(string(out))) {
			t.Fatalf("Size() = %d; compact form has %d characters", d.Size(), len([]rune(string(out))))
		}
		assertSameJSON(t, data, out)
	})
}

func FuzzFix(f *testing.F) {
	fuzzSeeds(f, func(b []byte) {
		f.Add(b, uint8(0))
		f.Add(b, uint8(7))
	})
	f.Fuzz(func(t *testing.T, data []byte, opts uint8) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		r := Rules{Mode: ModeRequire}
		if opts&1 != 0 {
			r.Mode = ModeAllow
		}
		if opts&2 != 0 {
			r.Patterns = []string{"*@example.com", "svc-?"}
		}
		if opts&4 != 0 {
			r.Federated = []FederatedRule{{Provider: "*:saml-provider/*", Mode: ModeRequire}, {Provider: "*", Mode: ModeAllow}}
		}
		if opts&8 != 0 {
			r.SizeLimit = 300
		}
		checkInvariants(t, d, r)
		_ = Explain(d, r)
	})
}
