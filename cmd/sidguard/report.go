package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// Output formats of check and explain.
const (
	formatText = "text"
	formatJSON = "json"
)

func addFormatFlag(fs *flag.FlagSet) *string {
	format := formatText
	fs.Func("format", "Output format `text|json`. Default text", func(s string) error {
		if s != formatText && s != formatJSON {
			return fmt.Errorf("want text or json")
		}
		format = s
		return nil
	})
	return &format
}

// checkReport is what check prints; its JSON form is part of the CLI contract.
type checkReport struct {
	Input     string                `json:"input"`
	Compliant bool                  `json:"compliant"`
	Mode      trustpolicy.Mode      `json:"mode"`
	Findings  []trustpolicy.Finding `json:"findings"`
}

func (r checkReport) write(w io.Writer, format string) error {
	if format == formatJSON {
		return writeJSON(w, r)
	}
	var b strings.Builder
	fixable, open, notes, refused := 0, 0, 0, false
	for _, f := range r.Findings {
		if f.Code.Informational() {
			b.WriteString("note: " + findingLine(f) + "\n")
			notes++
			continue
		}
		b.WriteString(findingLine(f) + "\n")
		open++
		if f.Code.Fixable() {
			fixable++
		}
		refused = refused || f.Code == trustpolicy.CodeTooLarge
	}
	if refused {
		fixable = 0 // fix refuses the whole policy
	}
	noteText := ""
	if notes > 0 {
		noteText = " (" + plural(notes, "note") + ")"
	}
	if r.Compliant {
		fmt.Fprintf(&b, "%s: compliant under mode %s%s\n", r.Input, r.Mode, noteText)
	} else {
		fmt.Fprintf(&b, "%s: NOT compliant under mode %s: %s, %d fixable by \"sidguard fix\"%s\n",
			r.Input, r.Mode, plural(open, "finding"), fixable, noteText)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// findingLine renders one finding on one line: its code, then the engine's message (which
// names the statement and the principals).
func findingLine(f trustpolicy.Finding) string {
	s := string(f.Code)
	if f.Fixed {
		s += " (fixed)"
	}
	return s + ": " + f.Message
}

// statementLabel names a statement the way the engine's messages do.
func statementLabel(i int, sid string) string {
	if i < 0 {
		return "the whole policy"
	}
	s := fmt.Sprintf("statement %d", i)
	if sid != "" {
		s += fmt.Sprintf(" (Sid %q)", sid)
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// nonNil makes an empty list print as [] rather than null in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// usageFail reports a bad combination of flag values (exit 2, usage on stderr).
func usageFail(std stdio, cmd string, err error) int {
	fmt.Fprintf(std.err, "sidguard %s: %v\n", cmd, err)
	fmt.Fprintf(std.err, "Run \"sidguard help %s\" for details.\n", cmd)
	return exitUsage
}

// inputFail reports unusable input (exit 2).
func inputFail(std stdio, cmd string, err error) int {
	fmt.Fprintf(std.err, "sidguard %s: %v\n", cmd, err)
	return exitUsage
}
