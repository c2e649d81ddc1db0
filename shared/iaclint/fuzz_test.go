package iaclint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// FuzzFind feeds templates and plans to the parser and the checker: no panic, lines within the
// file, no placeholder in the output, a fixed policy that is JSON.
func FuzzFind(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	more, _ := filepath.Glob(filepath.Join("testdata", "cdk.out", "*.json"))
	for _, name := range append(files, more...) {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("Resources: {R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: !If [a, b, c]}}}"))
	f.Add([]byte("a: &x [*x]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, roles, err := Find("f", data)
		if err != nil {
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, r := range roles {
			if r.Line < 0 || r.Line > lines {
				t.Fatalf("line %d of a %d-line input", r.Line, lines)
			}
			res := Check(r, trustpolicy.Rules{})
			out, err := json.Marshal(res)
			if err != nil {
				t.Fatalf("result does not marshal: %v", err)
			}
			if strings.Contains(string(out), "sidguard-opaque-") && !strings.Contains(string(data), "sidguard-opaque-") {
				t.Fatalf("a placeholder leaked: %s", out)
			}
			if len(res.FixedPolicy) > 0 && !json.Valid(res.FixedPolicy) {
				t.Fatalf("fixed policy is not JSON: %s", res.FixedPolicy)
			}
		}
	})
}
