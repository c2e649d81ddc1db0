package trailfiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// readAll returns the records of a file as strings, reading through r.
func readAll(t testing.TB, data string, oneByte bool) ([]string, error) {
	t.Helper()
	var r = strings.NewReader(data)
	var in = any(r).(interface{ Read([]byte) (int, error) })
	if oneByte {
		in = iotest.OneByteReader(r)
	}
	var got []string
	_, err := ReadRecords(in, 0, func(i int, rec []byte) error {
		if i != len(got) {
			t.Errorf("index %d, want %d", i, len(got))
		}
		got = append(got, string(rec))
		return nil
	})
	return got, err
}

func TestReadRecords(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		err  error
	}{
		{"empty records", `{"Records":[]}`, nil, nil},
		{"one", `{"Records":[{"a":1}]}`, []string{`{"a":1}`}, nil},
		{"whitespace", " \n{ \"Records\" : [ {\"a\":1} ,\n\t{ \"b\" : [1,2,{}] } ] }\n", []string{`{"a":1}`, `{ "b" : [1,2,{}] }`}, nil},
		{"brackets and escapes in strings", `{"Records":[{"s":"}]\"{["},{"t":"\\"}]}`, []string{`{"s":"}]\"{["}`, `{"t":"\\"}`}, nil},
		{"other members skipped", `{"x":{"Records":[{"no":1}]},"Records":[{"a":1}],"y":[1,"]"],"z":null,"n":-1.5e3}`, []string{`{"a":1}`}, nil},
		{"escaped key", `{"Rec\u006frds":[{"a":1}]}`, []string{`{"a":1}`}, nil},
		{"not an object", `[{"Records":[]}]`, nil, ErrNotTrailFile},
		{"empty file", "  ", nil, ErrNotTrailFile},
		{"no Records", `{"awsAccountId":"111122223333"}`, nil, ErrNotTrailFile},
		{"Records not array", `{"Records":{"a":1}}`, nil, ErrNotTrailFile},
		{"Records null", `{"Records":null}`, nil, ErrNotTrailFile},
		{"two Records", `{"Records":[],"Records":[]}`, nil, ErrNotTrailFile},
		{"record not object", `{"Records":[{"a":1},"x"]}`, []string{`{"a":1}`}, ErrSyntax},
		{"truncated", `{"Records":[{"a":1},{"b":`, []string{`{"a":1}`}, ErrSyntax},
		{"truncated string", `{"Records":[{"a":"abc`, nil, ErrSyntax},
		{"missing comma", `{"Records":[{"a":1}{"b":2}]}`, []string{`{"a":1}`}, ErrSyntax},
		{"trailing comma", `{"Records":[{"a":1},]}`, []string{`{"a":1}`}, ErrSyntax},
		{"garbage after", `{"Records":[]} x`, nil, ErrSyntax},
		{"bad other member", `{"x":tru,"Records":[]}`, nil, ErrSyntax},
		{"no colon", `{"Records" [] }`, nil, ErrSyntax},
		{"unclosed top", `{"Records":[]`, nil, ErrSyntax},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			got, err := readAll(t, tt.in, oneByte)
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Errorf("%s (one byte %v): error %v, want %v", tt.name, oneByte, err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (one byte %v): records (-want +got):\n%s", tt.name, oneByte, diff)
			}
		}
	}
}

func TestReadRecordsPositionInError(t *testing.T) {
	_, err := readAll(t, `{"Records":[{"a":1},{"b":2},7]}`, false)
	if err == nil || !strings.Contains(err.Error(), "Records[2]") {
		t.Fatalf("error %v does not name Records[2]", err)
	}
}

func TestReadRecordsTooLarge(t *testing.T) {
	big := `{"Records":[{"a":"` + strings.Repeat("x", 300<<10) + `"}]}`
	_, err := ReadRecords(strings.NewReader(big), 200<<10, func(int, []byte) error { return nil })
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	n, err := ReadRecords(strings.NewReader(big), 400<<10, func(int, []byte) error { return nil })
	if err != nil || n != 1 {
		t.Fatalf("with a larger limit: %d records, %v", n, err)
	}
}

func TestReadRecordsLargeFileSmallWindow(t *testing.T) {
	// Many records across many read windows: every record comes out whole and in order.
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	var want []string
	for i := range 5000 {
		if i > 0 {
			b.WriteString(",")
		}
		rec := `{"eventID":"` + strings.Repeat("e", i%97) + `","n":` + strings.Repeat("1", 1+i%5) + `,"s":"\"}"}`
		want = append(want, rec)
		b.WriteString(rec)
	}
	b.WriteString("]}")
	got, err := readAll(t, b.String(), false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("records (-want +got):\n%s", diff)
	}
}

// oracle decodes a file with encoding/json: ok when it is a valid object whose Records member
// (exactly one) is an array of objects.
func oracle(data []byte) ([]string, bool) {
	if !json.Valid(data) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var recs []string
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if tok.(string) != "Records" {
			continue
		}
		if seen {
			return nil, false
		}
		seen = true
		var elems []json.RawMessage
		if err := json.Unmarshal(v, &elems); err != nil || elems == nil {
			return nil, false
		}
		for _, e := range elems {
			if e[0] != '{' {
				return nil, false
			}
			recs = append(recs, string(e))
		}
	}
	return recs, seen
}

func FuzzReadRecords(f *testing.F) {
	for _, s := range []string{
		`{"Records":[]}`, `{"Records":[{"a":1},{"b":[1,{"c":"}"}]}]}`, `{"x":1,"Records":[{}]}`,
		`{"Records":[{"a":"\\\""}]}`, `{"Records":[{"a":1}`, `[]`, `{"Records":[1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []string
		_, err := ReadRecords(bytes.NewReader(data), 1<<20, func(_ int, rec []byte) error {
			got = append(got, string(rec))
			return nil
		})
		want, ok := oracle(data)
		if ok {
			if err != nil {
				t.Fatalf("valid trail file refused: %v\n%q", err, data)
			}
			compact := func(in []string) []string {
				var out []string
				for _, s := range in {
					var b bytes.Buffer
					if err := json.Compact(&b, []byte(s)); err != nil {
						t.Fatalf("record %q: %v", s, err)
					}
					out = append(out, b.String())
				}
				return out
			}
			if diff := cmp.Diff(compact(want), compact(got)); diff != "" {
				t.Fatalf("records differ from encoding/json's (-want +got):\n%s\n%q", diff, data)
			}
			return
		}
		if err == nil {
			// Accepted although encoding/json refuses the file or its shape: only allowed when
			// some record is itself invalid (records are checked by their decoder).
			for _, r := range got {
				if !json.Valid([]byte(r)) {
					return
				}
			}
			t.Fatalf("accepted a file that is not a valid trail file: %q", data)
		}
	})
}
