package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/iaclint"
	"github.com/source-identity-guard/source-identity-guard/shared/sarif"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

var lintCommand = &command{
	name:    "lint",
	args:    "[--format text|json|sarif] [rule flags] PATH...",
	summary: "check the trust policies in templates and Terraform plans before deploy",
	help: `Finds the IAM roles declared in each PATH (a file, or a directory searched for *.yaml,
*.yml, *.json and *.template files) and checks their trust policies as "sidguard check" does,
under the same rule flags:
  - CloudFormation and SAM templates, YAML (short-form tags !Sub, !GetAtt, !Ref, ...) or JSON:
    AWS::IAM::Role AssumeRolePolicyDocument, AWS::Serverless::Function AssumeRolePolicyDocument
    (its own or Globals.Function's);
  - CDK synth output (cdk.out/*.template.json);
  - Terraform plans, terraform show -json: aws_iam_role assume_role_policy.
Values built with intrinsic functions are judged as unknown principals or strings, never
guessed; a policy whose structure is built at deploy time (Fn::If over statements, known only
after apply) is reported as not compliant, with the reason.

Output (standard output):
  text   one line per role (FILE:LINE: RESOURCE (TYPE): verdict), its findings and the fixed
         policy, then a summary line
  json   one JSON object per role per line (JSON Lines): file, line, resource, type, compliant,
         mode, findings [{code, ...}], column, fixedPolicy, fixNotes, opaque, error
  sarif  a SARIF 2.1.0 log with one result per finding, at its file and line (GitHub code
         scanning)

In a directory, files that are neither templates nor plans are skipped (unless they fail to
parse and look like one); a named FILE must be one, unless --skip-unrecognised.

Exit status: 0 every role compliant (or none found), 1 any role not compliant, 2 unusable input
(an unreadable file, a file that is not YAML or JSON, a malformed trust policy, bad flags).`,
	maxArgs: 1 << 20,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		rf := addRuleFlags(fs)
		skipOther := fs.Bool("skip-unrecognised", false, "Skip named files that are neither templates nor plans, as a directory search does\n(for pre-commit, which passes every changed YAML and JSON file)")
		format := formatText
		fs.Func("format", "Output format `text|json|sarif`. Default text", func(s string) error {
			if s != formatText && s != formatJSON && s != formatSARIF {
				return errors.New("want text, json or sarif")
			}
			format = s
			return nil
		})
		return func(std stdio, args []string) int {
			rules, err := rf.rules()
			if err != nil {
				return usageFail(std, "lint", err)
			}
			if len(args) == 0 {
				return usageFail(std, "lint", errors.New("no PATH: name the templates, plans or directories to check"))
			}
			return runLint(std, args, rules, format, *skipOther)
		}
	},
}

// lintFile is one file lint reads: named on the command line, or found in a directory.
type lintFile struct {
	path  string
	named bool
}

// skipDirs are directories a search never enters: VCS data, dependencies, build copies.
var skipDirs = map[string]bool{".git": true, "node_modules": true, ".terraform": true, ".aws-sam": true, "vendor": true}

func lintFiles(paths []string) ([]lintFile, []error) {
	var (
		files []lintFile
		errs  []error
	)
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", p, unwrapPathError(err)))
			continue
		}
		if !st.IsDir() {
			files = append(files, lintFile{path: p, named: true})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, fmt.Errorf("read %s: %w", path, unwrapPathError(err)))
				return nil
			}
			if d.IsDir() {
				if path != p && (skipDirs[d.Name()] || strings.HasPrefix(d.Name(), "asset.")) {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json", ".template":
				files = append(files, lintFile{path: path})
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return files, errs
}

// looksLikeIaC says whether a file that does not parse was probably meant as a template or
// plan (a search then reports it rather than skipping it).
func looksLikeIaC(data []byte) bool {
	s := string(data)
	return strings.Contains(s, "AWSTemplateFormatVersion") || strings.Contains(s, "AWS::IAM::Role") ||
		strings.Contains(s, "AWS::Serverless") || strings.Contains(s, "aws_iam_role")
}

func runLint(std stdio, paths []string, rules trustpolicy.Rules, format string, skipOther bool) int {
	files, errs := lintFiles(paths)
	if skipOther {
		for i := range files {
			files[i].named = false
		}
	}
	var results []iaclint.Result
	read := 0
	for _, f := range files {
		data, err := readLintFile(f.path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, roles, err := iaclint.Find(f.path, data)
		if err != nil {
			if f.named || (errors.Is(err, iaclint.ErrSyntax) && looksLikeIaC(data)) {
				errs = append(errs, err)
			}
			continue
		}
		read++
		for _, r := range roles {
			results = append(results, iaclint.Check(r, rules))
		}
	}
	exit := exitOK
	for _, r := range results {
		switch {
		case r.Unusable():
			errs = append(errs, fmt.Errorf("%s:%d: %s: %s", r.File, r.Line, r.Resource, r.Error))
		case !r.Compliant && exit == exitOK:
			exit = exitFindings
		}
	}
	if err := writeLint(std.out, format, results, read); err != nil {
		fmt.Fprintf(std.err, "sidguard lint: write output: %v\n", err)
		return exitUsage
	}
	for _, err := range errs {
		fmt.Fprintf(std.err, "sidguard lint: %v\n", err)
	}
	if len(errs) > 0 {
		return exitUsage
	}
	if len(results) == 0 {
		fmt.Fprintf(std.err, "sidguard lint: no IAM roles found in %s\n", plural(read, "template or plan"))
	}
	return exit
}

func readLintFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, iaclint.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, unwrapPathError(err))
	}
	return data, nil
}

func writeLint(w io.Writer, format string, results []iaclint.Result, files int) error {
	switch format {
	case formatJSON:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	case formatSARIF:
		log := sarif.New(sarif.Driver{Name: "sidguard", Version: versionString(),
			InformationURI: "https://github.com/source-identity-guard/source-identity-guard",
			Rules:          append(sarifRules(), iaclint.SARIFRules()...)})
		wd, _ := os.Getwd()
		for _, r := range results {
			// Code-scanning dashboards resolve relative URIs against the repository root: an
			// absolute path under the working directory is made relative to it.
			if filepath.IsAbs(r.File) && wd != "" {
				if rel, err := filepath.Rel(wd, r.File); err == nil && !strings.HasPrefix(rel, "..") {
					r.File = rel
				}
			}
			iaclint.AddSARIF(log, r)
		}
		return log.Write(w)
	}
	var b strings.Builder
	for _, r := range results {
		switch {
		case r.Error != "":
			fmt.Fprintf(&b, "%s:%d: %s (%s): NOT checked: %s\n", r.File, r.Line, r.Resource, r.Type, r.Error)
		case r.Compliant:
			fmt.Fprintf(&b, "%s:%d: %s (%s): compliant under mode %s\n", r.File, r.Line, r.Resource, r.Type, r.Mode)
		default:
			fmt.Fprintf(&b, "%s:%d: %s (%s): NOT compliant under mode %s\n", r.File, r.Line, r.Resource, r.Type, r.Mode)
			for _, f := range r.Findings {
				note := ""
				if !f.Code.Fixable() && !f.Fixed {
					note = " (needs a person)"
				}
				fmt.Fprintf(&b, "  %s%s: %s\n", f.Code, note, f.Message)
			}
			for _, f := range r.FixNotes {
				fmt.Fprintf(&b, "  fix refused: %s: %s\n", f.Code, f.Message)
			}
			if len(r.FixedPolicy) > 0 {
				fmt.Fprintf(&b, "  fixed policy: %s\n", r.FixedPolicy)
			}
		}
	}
	s := iaclint.Summarize(results, files)
	fmt.Fprintf(&b, "%s in %s: %d compliant, %d not compliant", plural(s.Roles, "role"), plural(s.Files, "file"), s.Compliant, s.NotCompliant)
	if s.Unusable > 0 {
		fmt.Fprintf(&b, ", %d unusable", s.Unusable)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
