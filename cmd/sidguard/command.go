package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// stdio is a subcommand's standard streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	args    string // the synopsis after the name, e.g. "[--format text|json] [FILE|-]"
	summary string // one line for `sidguard help`
	help    string // paragraphs printed by `sidguard help <name>` before the flags
	maxArgs int    // positional arguments accepted after the flags (FILE|-)

	// setup defines the subcommand's flags on fs and returns the function that runs it once
	// the flags are parsed. args holds the positional arguments.
	setup func(fs *flag.FlagSet) func(std stdio, args []string) int
}

// main parses args (flags may come before or after the positional arguments) and runs the
// subcommand.
func (c *command) main(args []string, std stdio) int {
	fs := flag.NewFlagSet("sidguard "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors and help are printed below, in one place
	runFn := c.setup(fs)
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.printHelp(std.out, fs)
		return exitOK
	case err != nil:
		return c.usageError(std.err, fs, err.Error())
	case len(pos) > c.maxArgs:
		return c.usageError(std.err, fs, fmt.Sprintf("too many arguments: %q", pos))
	}
	return runFn(std, pos)
}

// usageError reports a usage problem and the subcommand's usage on w, and returns exitUsage.
func (c *command) usageError(w io.Writer, fs *flag.FlagSet, msg string) int {
	fmt.Fprintf(w, "sidguard %s: %s\n", c.name, msg)
	fmt.Fprintf(w, "usage: %s\n", c.synopsis())
	fmt.Fprintf(w, "Run \"sidguard help %s\" for details.\n", c.name)
	return exitUsage
}

func (c *command) synopsis() string {
	return strings.TrimSpace("sidguard " + c.name + " " + c.args)
}

func (c *command) printHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\n", c.synopsis())
	if c.help != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(c.help))
	}
	var flags strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		placeholder, usage := flag.UnquoteUsage(f)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			placeholder = ""
		}
		fmt.Fprintf(&flags, "  --%s", f.Name)
		if placeholder != "" {
			fmt.Fprintf(&flags, " %s", placeholder)
		}
		flags.WriteString("\n")
		for line := range strings.Lines(usage) {
			fmt.Fprintf(&flags, "        %s", line)
		}
		flags.WriteString("\n")
	})
	if flags.Len() > 0 {
		fmt.Fprintf(w, "Flags (-flag and --flag are the same; flags may also follow FILE):\n%s", flags.String())
	}
}

// parseInterspersed parses flags anywhere in args, so `check FILE --mode allow` works like
// `check --mode allow FILE`. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" && !isFlagValue(fs, args, consumed-1) {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// isFlagValue reports whether args[i] is the value of the flag before it (as in `--pattern --`).
func isFlagValue(fs *flag.FlagSet, args []string, i int) bool {
	if i == 0 {
		return false
	}
	prev := strings.TrimLeft(args[i-1], "-")
	if prev == args[i-1] || strings.Contains(prev, "=") {
		return false
	}
	f := fs.Lookup(prev)
	if f == nil {
		return false
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return false
	}
	return true
}
