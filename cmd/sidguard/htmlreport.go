package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/htmlreport"
)

var htmlReportCommand = &command{
	name:    "report",
	args:    "--output FILE [--title TEXT] INPUT...",
	summary: "write a self-contained HTML compliance report from scan and readiness output",
	help: `Reads JSON Lines written by "sidguard scan --format json" (one account, or --org) and
"sidguard readiness --format json" (the kind is told from each record; INPUT "-" is standard
input) and writes one HTML file that needs no network to view: the share of roles that
require or allow a source identity, every account worst first with its roles judged and still
open, the open roles with their findings and the fix the guard would make, the callers that
keep roles from being ready for require, and where the figures came from.

Exit status: 0 the report was written; 2 unusable input or bad flags (nothing is written: the
page goes to a temporary file in FILE's directory, renamed into place when complete).`,
	maxArgs: 1 << 20,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		var o htmlReportOptions
		fs.StringVar(&o.output, "output", "", "Write the report to `FILE` (required; replaced if it exists)")
		fs.StringVar(&o.title, "title", "", "Page title `TEXT`. Default \""+htmlreport.DefaultTitle+"\"")
		return func(std stdio, args []string) int { return o.run(std, args) }
	},
}

type htmlReportOptions struct {
	output, title string
	now           func() time.Time // nil: time.Now
}

func (o *htmlReportOptions) run(std stdio, args []string) int {
	const name = "report"
	if o.output == "" {
		return usageFail(std, name, errors.New("--output FILE is required"))
	}
	if len(args) == 0 {
		return usageFail(std, name, errors.New("no INPUT: give the files that sidguard scan --format json or sidguard readiness --format json wrote"))
	}
	outAbs, _ := filepath.Abs(o.output)
	stdinUsed := false
	var inputs []htmlreport.Input
	for _, path := range args {
		var in htmlreport.Input
		var err error
		if path == "-" {
			if stdinUsed {
				return usageFail(std, name, errors.New(`standard input ("-") given twice`))
			}
			stdinUsed = true
			in, err = htmlreport.Decode("standard input", std.in)
		} else {
			if abs, _ := filepath.Abs(path); abs == outAbs {
				return usageFail(std, name, fmt.Errorf("--output %s is also an INPUT", o.output))
			}
			in, err = decodeFile(path)
		}
		if err != nil {
			return inputFail(std, name, err)
		}
		inputs = append(inputs, in)
	}
	now := time.Now
	if o.now != nil {
		now = o.now
	}
	rep := htmlreport.Build(inputs, htmlreport.Options{Title: o.title, Generated: now(), Generator: "sidguard " + versionString()})
	if err := writeReport(o.output, rep); err != nil {
		fmt.Fprintf(std.err, "sidguard %s: %v\n", name, err)
		return exitUsage
	}
	fmt.Fprintf(std.out, "wrote %s: %s, %s judged, %d open\n", o.output, plural(len(rep.Accounts), "account"),
		plural(rep.Total.Judged, "role"), rep.Total.Open)
	return exitOK
}

func decodeFile(path string) (htmlreport.Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return htmlreport.Input{}, fmt.Errorf("read input: %w", err)
	}
	defer f.Close()
	return htmlreport.Decode(path, f)
}

// writeReport renders rep into a temporary file next to path and renames it into place, so
// that path is either the complete page or untouched.
func writeReport(path string, rep *htmlreport.Report) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := htmlreport.Render(tmp, rep); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}
