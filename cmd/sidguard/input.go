package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/source-identity-guard/source-identity-guard/shared/cloudtrail"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// maxInput bounds what sidguard reads: IAM's largest trust policy is 8,192 characters, and a
// get-role answer or a CloudTrail event around it is a few KB more.
const maxInput = 4 << 20

// input is a trust policy read from the command line.
type input struct {
	name string                // the file name, or "stdin"
	kind string                // what the input was: "policy", "get-role output", "CloudTrail event"
	doc  *trustpolicy.Document // the parsed policy
}

// readInput reads FILE (stdin when args is empty or "-") and parses the trust policy in it.
func readInput(args []string, stdin io.Reader) (input, error) {
	in := input{name: "stdin"}
	var (
		data []byte
		err  error
	)
	if len(args) == 0 || args[0] == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, maxInput+1))
		if err != nil {
			return in, fmt.Errorf("read stdin: %w", err)
		}
	} else {
		in.name = args[0]
		data, err = readFile(in.name)
		if err != nil {
			return in, err
		}
	}
	if len(data) > maxInput {
		return in, fmt.Errorf("%s: input larger than %d bytes", in.name, maxInput)
	}
	text, kind, err := policyText(data)
	in.kind = kind
	if err != nil {
		return in, fmt.Errorf("%s: %w", in.name, err)
	}
	in.doc, err = trustpolicy.Parse(text)
	if err != nil {
		if kind != "policy" {
			return in, fmt.Errorf("%s: the policy in this %s: %w", in.name, kind, err)
		}
		return in, fmt.Errorf("%s: %w", in.name, err)
	}
	return in, nil
}

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, unwrapPathError(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, unwrapPathError(err))
	}
	return data, nil
}

// unwrapPathError drops the *fs.PathError wrapper, whose text repeats the file name.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// policyText finds the trust policy in data: a bare policy, `aws iam get-role` output (or just
// its Role object, or {"AssumeRolePolicyDocument": ...}), or a CloudTrail event. It returns the
// policy as JSON text and what kind of input it was.
func policyText(data []byte) ([]byte, string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM some Windows tools write
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, "", errors.New("empty input: want a trust policy (JSON)")
	}
	var top json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&top); err != nil {
		return nil, "", fmt.Errorf("not JSON: %s", jsonError(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, "", errors.New("not JSON: more than one JSON value")
	}
	var obj map[string]json.RawMessage
	if top[0] != '{' || json.Unmarshal(top, &obj) != nil {
		return data, "policy", nil // let the policy parser say what is wrong
	}
	var role map[string]json.RawMessage
	if raw, ok := obj["Role"]; ok && len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &role) == nil {
		if v, ok := role["AssumeRolePolicyDocument"]; ok {
			text, err := documentValue(v, "Role.AssumeRolePolicyDocument")
			return text, "get-role output", err
		}
	}
	if v, ok := obj["AssumeRolePolicyDocument"]; ok {
		text, err := documentValue(v, "AssumeRolePolicyDocument")
		return text, "get-role output", err
	}
	if _, ok := obj["detail-type"]; ok {
		call, err := cloudtrail.ParseJSON(data)
		if err != nil {
			return nil, "CloudTrail event", err
		}
		if call.Policy == nil {
			return nil, "CloudTrail event", fmt.Errorf("%s event for role %q carries no policy document", call.EventName, call.RoleName)
		}
		return call.Policy, "CloudTrail event", nil
	}
	if _, ok := obj["Roles"]; ok {
		return nil, "", errors.New(`this looks like "aws iam list-roles" output: pass one role ("aws iam get-role --role-name NAME")`)
	}
	return data, "policy", nil
}

// documentValue turns an AssumeRolePolicyDocument value into JSON text: an object as it is,
// a string as raw JSON text or, when it is URL-encoded as the IAM API returns it, decoded with
// url.PathUnescape (QueryUnescape would turn '+' into a space).
func documentValue(raw json.RawMessage, field string) ([]byte, error) {
	switch raw[0] {
	case '{':
		return raw, nil
	case '"':
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		if t := bytes.TrimSpace([]byte(v)); len(t) > 0 && t[0] == '{' {
			return []byte(v), nil
		}
		s, err := url.PathUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("%s: neither JSON nor URL-encoded JSON: %w", field, err)
		}
		return []byte(s), nil
	case 'n':
		return nil, fmt.Errorf("%s: null", field)
	case '[':
		return nil, fmt.Errorf("%s: want an object or a string, got an array", field)
	default:
		return nil, fmt.Errorf("%s: want an object or a string, got %s", field, raw)
	}
}

// jsonError describes a JSON syntax error with its line and column.
func jsonError(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := 1, 1
		for _, b := range data[:min(max(int(se.Offset)-1, 0), len(data))] { // the offending byte is the last one read
			if b == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Sprintf("%v (line %d, column %d)", se, line, col)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}
