// Command sidguard checks, fixes and explains IAM role trust policies on the command line: does
// the policy force callers to set an STS source identity, and if not, what would make it do so.
//
//	sidguard check   [flags] [FILE|-]   exit 0 compliant, 1 not compliant, 2 unusable input
//	sidguard fix     [flags] [FILE|-]   print the fixed policy; exit as check would on it
//	sidguard explain [flags] [FILE|-]   who can assume the role without a source identity
//	sidguard scan    [flags]            judge every role of an AWS account (as the sweep does)
//
// The input is a trust policy, the JSON that `aws iam get-role` prints, or a CloudTrail
// CreateRole / UpdateAssumeRolePolicy event as EventBridge delivers it. Run `sidguard help` for
// every flag.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes shared by every subcommand.
const (
	exitOK       = 0 // success; for check: compliant
	exitFindings = 1 // check: not compliant; fix: the printed policy is not compliant
	exitUsage    = 2 // unusable input, bad flags, unknown subcommand
)

// commands lists the subcommands in the order `sidguard help` shows them. A subcommand is one
// file that defines a *command, plus one line here.
var commands = []*command{
	checkCommand,
	fixCommand,
	explainCommand,
	lintCommand,
	scanCommand,
	readinessCommand,
	promoteCommand,
	revertCommand,
	trailCommand,
	credentialsCommand,
	callerPolicyCommand,
	htmlReportCommand,
	versionCommand,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program: args without the program name; it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	std := stdio{in: stdin, out: stdout, err: stderr}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "sidguard: missing subcommand")
		printUsage(stderr)
		return exitUsage
	}
	switch name := args[0]; name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if cmd := lookup(args[1]); cmd != nil {
				return cmd.main([]string{"--help"}, std)
			}
			fmt.Fprintf(stderr, "sidguard help: unknown subcommand %q\n", args[1])
			printUsage(stderr)
			return exitUsage
		}
		printUsage(stdout)
		return exitOK
	case "-version", "--version", "-v":
		return versionCommand.main(args[1:], std)
	default:
		cmd := lookup(name)
		if cmd == nil {
			fmt.Fprintf(stderr, "sidguard: unknown subcommand %q\n", name)
			printUsage(stderr)
			return exitUsage
		}
		return cmd.main(args[1:], std)
	}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString(`sidguard: make IAM role trust policies require an STS source identity

Usage:
  sidguard <subcommand> [flags] [FILE|-]

Subcommands:
`)
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-*s %s\n", width, c.name, c.summary)
	}
	b.WriteString(`
Input (FILE, or standard input when FILE is "-" or absent) is one of:
  - a trust policy document;
  - the output of "aws iam get-role" ({"Role":{"AssumeRolePolicyDocument":...}}), with the
    document as an object, as JSON text or URL-encoded as the IAM API returns it;
  - a CloudTrail CreateRole or UpdateAssumeRolePolicy event delivered by EventBridge.

Example:
  aws iam get-role --role-name app-deployer | sidguard check

Run "sidguard help <subcommand>" for its flags. Exit codes: 0 success (check: compliant;
fix: the policy printed is compliant), 1 not compliant (check: the input; fix: the policy
printed still needs a person; scan: roles remain), 2 unusable input, bad usage or a failed scan.
`)
	io.WriteString(w, b.String())
}
