package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cliPage reads docs/cli.md.
func cliPage(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCLIPageCISnippet: the CI line docs/cli.md shows is the one docs/check-fix-scan.md gives,
// which TestCISnippet runs.
func TestCLIPageCISnippet(t *testing.T) {
	want := ciSnippet(t)
	_, section, ok := strings.Cut(cliPage(t), "\n### In CI\n")
	if !ok {
		t.Fatal(`docs/cli.md has no "### In CI" section`)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	found := false
	for _, line := range strings.Split(section, "\n") {
		if !strings.Contains(line, "rc=$?") {
			continue
		}
		found = true
		if got := strings.TrimSpace(line); got != strings.TrimSpace(want) {
			t.Errorf("docs/cli.md CI line\n  %s\ndiffers from docs/check-fix-scan.md's\n  %s", got, want)
		}
	}
	if !found {
		t.Error(`docs/cli.md "In CI" has no line with "rc=$?"`)
	}
}

// TestCLIPageListsEveryCommand: every subcommand has a row in docs/cli.md's command table.
func TestCLIPageListsEveryCommand(t *testing.T) {
	page := cliPage(t)
	for _, c := range commands {
		if !strings.Contains(page, "\n| `"+c.name+"` |") {
			t.Errorf("docs/cli.md: no row for the subcommand %s in the command table", c.name)
		}
	}
}
