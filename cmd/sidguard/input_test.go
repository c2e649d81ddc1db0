package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/cloudtrail"
)

func TestPolicyText(t *testing.T) {
	const doc = `{"Version":"2012-10-17","Statement":[]}`
	tests := []struct {
		name, in string
		want     string
		kind     string
	}{
		{"bare policy", doc, doc, "policy"},
		{"bare policy with BOM", "\xef\xbb\xbf" + doc, doc, "policy"},
		{"array is left to the policy parser", `[1]`, `[1]`, "policy"},
		{"get-role object", `{"Role":{"RoleName":"r","AssumeRolePolicyDocument":` + doc + `}}`, doc, "get-role output"},
		{"get-role raw text", `{"Role":{"AssumeRolePolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}}`, doc, "get-role output"},
		{"get-role raw text, leading space", `{"Role":{"AssumeRolePolicyDocument":" {\"Version\":\"2012-10-17\",\"Statement\":[]}"}}`, ` {"Version":"2012-10-17","Statement":[]}`, "get-role output"},
		{"get-role URL-encoded", `{"Role":{"AssumeRolePolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"}}`, doc, "get-role output"},
		{"plus stays plus", `{"AssumeRolePolicyDocument":"%7B%22a%22%3A%22x+y%20z%22%7D"}`, `{"a":"x+y z"}`, "get-role output"},
		{"document alone", `{"AssumeRolePolicyDocument":` + doc + `}`, doc, "get-role output"},
		{"Role without a document is a policy", `{"Role":{"RoleName":"r"}}`, `{"Role":{"RoleName":"r"}}`, "policy"},
		{"CloudTrail event", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.iam","detail":{"eventSource":"iam.amazonaws.com","eventName":"UpdateAssumeRolePolicy","requestParameters":{"roleName":"r","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}}}`, doc, "CloudTrail event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kind, err := policyText([]byte(tt.in))
			if err != nil {
				t.Fatalf("policyText(%s) error: %v", tt.in, err)
			}
			if string(got) != tt.want || kind != tt.kind {
				t.Errorf("policyText(%s) = %s, %q; want %s, %q", tt.in, got, kind, tt.want, tt.kind)
			}
		})
	}
}

func TestPolicyTextErrors(t *testing.T) {
	tests := []struct {
		name, in string
		mentions string
		is       error // optional sentinel
	}{
		{"empty", "", "empty input", nil},
		{"blank", " \n\t", "empty input", nil},
		{"not JSON", "Version: 1", "not JSON", nil},
		{"syntax error position", "{\n  \"a\": tru\n}", "line 2", nil},
		{"truncated", `{"Version":`, "unexpected end of input", nil},
		{"two values", `{} {}`, "more than one JSON value", nil},
		{"document null", `{"Role":{"AssumeRolePolicyDocument":null}}`, "Role.AssumeRolePolicyDocument: null", nil},
		{"document number", `{"AssumeRolePolicyDocument":42}`, "want an object or a string, got 42", nil},
		{"document array", `{"AssumeRolePolicyDocument":[]}`, "got an array", nil},
		{"bad escape", `{"AssumeRolePolicyDocument":"%7B%zz"}`, "neither JSON nor URL-encoded JSON", nil},
		{"list-roles", `{"Roles":[]}`, "list-roles", nil},
		{"foreign event", `{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`, "not an IAM API call", cloudtrail.ErrNotCloudTrail},
		{"event without document", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.iam","detail":{"eventSource":"iam.amazonaws.com","eventName":"CreateRole","requestParameters":{"roleName":"r"}}}`, `carries no policy document`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := policyText([]byte(tt.in))
			if err == nil {
				t.Fatalf("policyText(%q) error = nil; want one mentioning %q", tt.in, tt.mentions)
			}
			if !strings.Contains(err.Error(), tt.mentions) {
				t.Errorf("policyText(%q) error = %q; want it to mention %q", tt.in, err, tt.mentions)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("policyText(%q) error = %v; want errors.Is %v", tt.in, err, tt.is)
			}
		})
	}
}

func TestReadInputTooLarge(t *testing.T) {
	big := strings.Repeat(" ", maxInput) + "{}"
	_, err := readInput(nil, strings.NewReader(big))
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("readInput(%d bytes) error = %v; want input larger than %d bytes", len(big), err, maxInput)
	}
}

// FuzzPolicyText checks the input sniffer never panics and that what it returns is either an
// error or some text (the policy parser judges the text).
func FuzzPolicyText(f *testing.F) {
	for _, pattern := range []string{"testdata/*.json", "../../events/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"Role":{"AssumeRolePolicyDocument":"%7B%7D"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, kind, err := policyText(data)
		if err == nil && (text == nil || kind == "") {
			t.Fatalf("policyText(%q) = %q, %q, nil; want text and a kind", data, text, kind)
		}
	})
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"*", []string{"*"}},
		{"a,b", []string{"a", "b"}},
		{" a , b ", []string{"a", "b"}},
		{`a\,b,c`, []string{"a,b", "c"}},
		{"a,", []string{"a", ""}},
		{`a\b`, []string{`a\b`}},
		{"", []string{""}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, splitList(tt.in)); diff != "" {
			t.Errorf("splitList(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		wantMode string
		wantJSON bool
	}{
		{[]string{"f.json"}, []string{"f.json"}, "", false},
		{[]string{"--mode", "allow", "f.json"}, []string{"f.json"}, "allow", false},
		{[]string{"f.json", "--mode", "allow"}, []string{"f.json"}, "allow", false},
		{[]string{"f.json", "--json", "--mode=allow"}, []string{"f.json"}, "allow", true},
		{[]string{"-", "--json"}, []string{"-"}, "", true},
		{[]string{"--", "--json"}, []string{"--json"}, "", false},
		{[]string{"a", "--", "-b", "--mode", "x"}, []string{"a", "-b", "--mode", "x"}, "", false},
		{[]string{"--mode", "--", "f"}, []string{"f"}, "--", false}, // "--" as a flag value
		{[]string{"a", "b"}, []string{"a", "b"}, "", false},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		mode := fs.String("mode", "", "")
		asJSON := fs.Bool("json", false, "")
		pos, err := parseInterspersed(fs, tt.args)
		if err != nil {
			t.Errorf("parseInterspersed(%q) error: %v", tt.args, err)
			continue
		}
		if diff := cmp.Diff(tt.wantPos, pos); diff != "" || *mode != tt.wantMode || *asJSON != tt.wantJSON {
			t.Errorf("parseInterspersed(%q) = %q, mode %q, json %v; want %q, mode %q, json %v", tt.args, pos, *mode, *asJSON, tt.wantPos, tt.wantMode, tt.wantJSON)
		}
	}
}
