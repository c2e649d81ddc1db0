package template

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// templateParameterDefaults reads the Parameters of a template file: name -> default as the
// reference page writes it ("empty" for an empty string, no default at all "-").
func templateParameterDefaults(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A yaml.Node keeps CloudFormation's short-form tags (!Ref, !Sub) out of the way: only the
	// Parameters mapping is decoded.
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("%s: not a YAML mapping", path)
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "Parameters" {
			continue
		}
		var params map[string]struct {
			Default yaml.Node `yaml:"Default"`
		}
		if err := top.Content[i+1].Decode(&params); err != nil {
			t.Fatalf("%s Parameters: %v", path, err)
		}
		out := make(map[string]string, len(params))
		for name, p := range params {
			switch {
			case p.Default.Kind == 0:
				out[name] = "-"
			case p.Default.Value == "":
				out[name] = "empty"
			default:
				out[name] = "`" + p.Default.Value + "`"
			}
		}
		return out
	}
	t.Fatalf("%s has no Parameters", path)
	return nil
}

// referenceParameterTable reads the "## Parameters" table of docs/reference.md: the first
// column (a backquoted parameter name) -> the second (its default).
func referenceParameterTable(page string) (map[string]string, error) {
	_, section, ok := strings.Cut(page, "\n## Parameters\n")
	if !ok {
		return nil, fmt.Errorf(`no "## Parameters" section`)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	rows := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(line), "| `") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if _, dup := rows[name]; dup {
			return nil, fmt.Errorf("parameter %s is listed twice", name)
		}
		rows[name] = strings.TrimSpace(cells[2])
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf(`"## Parameters" has no table rows`)
	}
	return rows, nil
}

// TestReferenceListsEveryParameter: docs/reference.md's Parameters table has one row per
// parameter of template.yaml, no row for a parameter the template does not have, and the
// template's default in each row's Default column.
func TestReferenceListsEveryParameter(t *testing.T) {
	want := templateParameterDefaults(t, filepath.Join("..", "..", "template.yaml"))
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "reference.md"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := referenceParameterTable(string(page))
	if err != nil {
		t.Fatalf("docs/reference.md: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("docs/reference.md Parameters table (name: default) differs from template.yaml (-template +page):\n%s", diff)
	}
}

// The table reader itself: a missing section, a missing row and a duplicate are reported.
func TestReferenceParameterTableReader(t *testing.T) {
	if _, err := referenceParameterTable("# Reference\n\nno table\n"); err == nil {
		t.Error("page without a Parameters section: no error")
	}
	page := "# R\n\n## Parameters\n\n| Parameter | Default |\n| --- | --- |\n| `Mode` | `audit` |\n| `LogLevel` | `INFO` |\n\n## Next\n| `Other` | x |\n"
	got, err := referenceParameterTable(page)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"Mode": "`audit`", "LogLevel": "`INFO`"}, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if _, err := referenceParameterTable("## Parameters\n| `Mode` | a |\n| `Mode` | b |\n"); err == nil {
		t.Error("duplicate row: no error")
	}
}
