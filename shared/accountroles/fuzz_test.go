package accountroles

import (
	"strings"
	"testing"
)

// FuzzCleanRoleName: whatever MEMBER_ROLE_NAME holds, an accepted value is a valid role ARN
// suffix (path elements and a name of IAM's characters, no empty element), and cleaning is
// idempotent.
func FuzzCleanRoleName(f *testing.F) {
	for _, s := range []string{"member", "/source-identity-guard/member", "a//b", "a/", " x ", "é/m", strings.Repeat("p/", 300) + "m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CleanRoleName(s)
		if err != nil {
			return
		}
		again, err := CleanRoleName(got)
		if err != nil || again != got {
			t.Fatalf("CleanRoleName(%q) = %q, then %q, %v", s, got, again, err)
		}
		parts := strings.Split(got, "/")
		if len(parts[len(parts)-1]) > 64 {
			t.Fatalf("%q: name longer than 64", got)
		}
		for _, p := range parts {
			if !validName(p, 512) {
				t.Fatalf("%q: element %q", got, p)
			}
		}
	})
}
