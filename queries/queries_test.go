// Package queries holds the Athena SQL of `sidguard trail`'s Athena side; the template's named
// queries carry the same text (this test keeps them equal).
package queries

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// block returns the literal block scalar that follows the line holding marker after the
// resource named resource in template.yaml, dedented.
func block(t *testing.T, tpl, resource, marker string) string {
	t.Helper()
	i := strings.Index(tpl, "\n  "+resource+":\n")
	if i < 0 {
		t.Fatalf("no %s in template.yaml", resource)
	}
	rest := tpl[i:]
	j := strings.Index(rest, marker+"\n")
	if j < 0 {
		t.Fatalf("%s: no %q", resource, marker)
	}
	lines := strings.SplitAfter(rest[j+len(marker)+1:], "\n")
	indent := len(lines[0]) - len(strings.TrimLeft(lines[0], " "))
	var b strings.Builder
	for _, l := range lines {
		if strings.TrimSpace(l) != "" && len(l)-len(strings.TrimLeft(l, " ")) < indent {
			break
		}
		if len(l) >= indent {
			l = l[indent:]
		}
		b.WriteString(l)
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func TestTemplateCarriesTheseQueries(t *testing.T) {
	tpl, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ resource, marker, file string }{
		{"TrailBySourceIdentityNamedQuery", "QueryString: |", "trail-by-source-identity.sql"},
		{"TrailTableNamedQuery", "- |", "cloudtrail-table.sql"},
	} {
		want, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		got := block(t, string(tpl), tc.resource, tc.marker)
		got = strings.NewReplacer("${!account}", "${account}", "${!region}", "${region}", "${!timestamp}", "${timestamp}",
			"${TrailLogsLocation}", "LOCATION_PREFIX", "'${Accounts}'", "'111122223333,444455556666'", "'${Regions}'", "'us-east-1,eu-west-1'").Replace(got)
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("%s differs from queries/%s (-file +template):\n%s", tc.resource, tc.file, diff)
		}
	}
}
