package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestREADMEExample replays the "sidguard on the command line" section of docs/cli.md, so the
// outputs pasted there stay what sidguard prints. The first json block is trust.json; every
// "$ sidguard …" line of a console block is run and compared with the lines under it.
// "aws iam get-role … | sidguard …" is fed the role as the AWS CLI prints it (the document
// as an object), holding trust.json until an update-assume-role-policy line stores fixed.json.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	i := strings.Index(section, "\n## sidguard on the command line")
	if i < 0 {
		t.Fatalf(`%s has no "sidguard on the command line" section`, readmePath)
	}
	section = section[i+1:]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	blocks := fencedBlocks(section)
	var trust string
	for _, b := range blocks {
		if b.lang == "json" {
			trust = b.text
			break
		}
	}
	if trust == "" {
		t.Fatal("README section has no json block with trust.json")
	}
	t.Chdir(t.TempDir())
	if err := os.WriteFile("trust.json", []byte(trust), 0o644); err != nil {
		t.Fatal(err)
	}
	rolePolicy := []byte(trust)
	var ran int
	for _, b := range blocks {
		if b.lang != "console" {
			continue
		}
		lines := strings.SplitAfter(b.text, "\n")
		for k := 0; k < len(lines); k++ {
			cmdLine, ok := strings.CutPrefix(strings.TrimRight(lines[k], "\n"), "$ ")
			if !ok {
				continue
			}
			var want strings.Builder
			for k+1 < len(lines) && !strings.HasPrefix(lines[k+1], "$ ") {
				k++
				want.WriteString(lines[k])
			}
			var stdin []byte
			switch {
			case strings.HasPrefix(cmdLine, "echo $?"):
				continue
			case strings.HasPrefix(cmdLine, "sidguard fix trust.json > fixed.json && aws iam update-assume-role-policy"):
				var out, errOut bytes.Buffer
				if exit := run([]string{"fix", "trust.json"}, nil, &out, &errOut); exit != exitOK {
					t.Fatalf("%s: exit %d: %s", cmdLine, exit, errOut.String())
				}
				rolePolicy = out.Bytes()
				continue
			case strings.HasPrefix(cmdLine, "aws iam get-role "):
				_, after, ok := strings.Cut(cmdLine, "| ")
				if !ok {
					t.Fatalf("README command %q: want aws iam get-role … | sidguard …", cmdLine)
				}
				cmdLine = after
				role, err := json.Marshal(map[string]any{"Role": map[string]any{
					"RoleName": "app-deployer", "AssumeRolePolicyDocument": json.RawMessage(rolePolicy)}})
				if err != nil {
					t.Fatal(err)
				}
				stdin = role
			}
			args, ok := strings.CutPrefix(cmdLine, "sidguard ")
			if !ok || strings.ContainsAny(args, "|><&") {
				t.Fatalf("README command %q: the test cannot replay it", cmdLine)
			}
			var out, errOut bytes.Buffer
			run(strings.Fields(args), bytes.NewReader(stdin), &out, &errOut)
			ran++
			if diff := cmp.Diff(want.String(), out.String()); diff != "" {
				t.Errorf("README: $ %s: output differs (-README +sidguard):\n%s", cmdLine, diff)
			}
		}
	}
	if ran < 4 {
		t.Errorf("replayed %d README commands; want at least 4 (check, fix, explain, get-role | check)", ran)
	}
}

var readmePath = filepath.Join("..", "..", "docs", "cli.md")

type fenced struct{ lang, text string }

// fencedBlocks returns the ``` blocks of a markdown text.
func fencedBlocks(md string) []fenced {
	var (
		blocks []fenced
		cur    *fenced
		text   strings.Builder
	)
	for line := range strings.Lines(md) {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &fenced{lang: strings.TrimPrefix(trimmed, "```")}
			text.Reset()
		case cur != nil && trimmed == "```":
			cur.text = text.String()
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			text.WriteString(line)
		}
	}
	return blocks
}
