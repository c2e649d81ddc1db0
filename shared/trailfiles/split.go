package trailfiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxRecordSize bounds one record (and any other top-level value skipped on the way).
// CloudTrail truncates requestParameters and responseElements at 100 KB each
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html),
// so a real record stays far below this.
const DefaultMaxRecordSize = 8 << 20

// Errors wrapped by ReadRecords (errors.Is), always with the file name and the position.
var (
	// ErrNotTrailFile: the file is not a JSON object holding a "Records" array.
	ErrNotTrailFile = errors.New("not a CloudTrail log file (want {\"Records\": [...]})")
	// ErrSyntax: the file's JSON is broken (truncated, unbalanced, stray bytes).
	ErrSyntax = errors.New("invalid JSON")
	// ErrTooLarge: one value is over the size limit.
	ErrTooLarge = errors.New("record too large")
)

const chunk = 64 << 10

// splitter reads a CloudTrail log file ({"Records":[{...},...]}) from r and hands out each
// element of Records as the exact bytes of one JSON object. It never holds more than one
// record (plus one read chunk) in memory: it finds where a record ends by tracking strings,
// escapes and bracket depth, without decoding it. Whether a record is valid JSON is for the
// record decoder to say; the structure around the records is checked here.
type splitter struct {
	r   io.Reader
	buf []byte // buf[pos:end] is unread input
	pos int
	end int
	eof bool
	err error // read error other than io.EOF
	off int64 // file offset of buf[0]
	max int
}

func newSplitter(r io.Reader, max int) *splitter {
	if max <= 0 {
		max = DefaultMaxRecordSize
	}
	return &splitter{r: r, buf: make([]byte, 0, chunk), max: max}
}

// fill reads more input, keeping buf[keep:] (keep <= pos). It reports false at EOF or on a
// read error.
func (s *splitter) fill(keep int) bool {
	if s.eof || s.err != nil {
		return false
	}
	if keep > 0 {
		n := copy(s.buf[:cap(s.buf)], s.buf[keep:s.end])
		s.off += int64(keep)
		s.pos -= keep
		s.end = n
		s.buf = s.buf[:n]
	}
	if s.end == cap(s.buf) {
		if cap(s.buf) >= s.max+chunk {
			return false // the caller reports ErrTooLarge
		}
		nb := make([]byte, s.end, 2*cap(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[s.end:cap(s.buf)])
	s.end += n
	s.buf = s.buf[:s.end]
	if err == io.EOF {
		s.eof = true
	} else if err != nil {
		s.err = err
	}
	return n > 0 || (!s.eof && s.err == nil)
}

// peek skips whitespace and returns the next byte without consuming it; ok is false at the end
// of the input.
func (s *splitter) peek() (byte, bool) {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, true
			}
		}
		if !s.fill(s.pos) {
			return 0, false
		}
	}
}

func (s *splitter) offset() int64 { return s.off + int64(s.pos) }

func (s *splitter) readErr() error {
	if s.err != nil {
		return s.err
	}
	return nil
}

// syntax builds an ErrSyntax error at the current offset.
func (s *splitter) syntax(format string, args ...any) error {
	if err := s.readErr(); err != nil {
		return err
	}
	return fmt.Errorf("%w at byte %d: %s", ErrSyntax, s.offset(), fmt.Sprintf(format, args...))
}

// expect consumes byte c after optional whitespace.
func (s *splitter) expect(c byte, what string) error {
	got, ok := s.peek()
	if !ok {
		return s.syntax("unexpected end of input, want %s", what)
	}
	if got != c {
		return s.syntax("found %q, want %s", got, what)
	}
	s.pos++
	return nil
}

// value scans one JSON value starting at the next non-space byte and returns its bytes,
// valid until the next call. Strings are scanned with their escapes; objects and arrays by
// depth. Scalars (numbers, literals) end at the next delimiter.
func (s *splitter) value() ([]byte, error) {
	if _, ok := s.peek(); !ok {
		return nil, s.syntax("unexpected end of input, want a value")
	}
	start := s.pos
	i := s.pos
	depth := 0
	inString := false
	for {
		for i < s.end {
			if inString {
				// Jump to the next quote; it closes the string unless an odd number of
				// backslashes precedes it. The record's bytes from start stay in buf, so the
				// count is right across refills.
				j := bytes.IndexByte(s.buf[i:s.end], '"')
				if j < 0 {
					i = s.end
					break
				}
				q := i + j
				p := q - 1
				for p > start && s.buf[p] == '\\' {
					p--
				}
				i = q + 1
				if (q-1-p)%2 == 1 {
					continue // an escaped quote
				}
				inString = false
				if depth == 0 {
					s.pos = i
					return s.buf[start:i], nil
				}
				continue
			}
			switch s.buf[i] {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				if depth == 0 { // a scalar ended by the enclosing container
					s.pos = i
					return s.buf[start:i], nil
				}
				depth--
				if depth == 0 {
					s.pos = i + 1
					return s.buf[start:s.pos], nil
				}
			case ',', ' ', '\t', '\n', '\r':
				if depth == 0 {
					s.pos = i
					return s.buf[start:i], nil
				}
			}
			i++
		}
		if i-start > s.max {
			return nil, fmt.Errorf("%w: over %d bytes at byte %d", ErrTooLarge, s.max, s.off+int64(start))
		}
		off := i - start
		if !s.fill(start) {
			if err := s.readErr(); err != nil {
				return nil, err
			}
			if s.end-start > s.max {
				return nil, fmt.Errorf("%w: over %d bytes at byte %d", ErrTooLarge, s.max, s.off+int64(start))
			}
			if depth == 0 && !inString && s.end > start { // a scalar at the very end
				s.pos = s.end
				return s.buf[start:s.end], nil
			}
			s.pos = start
			return nil, s.syntax("unexpected end of input inside a value")
		}
		start = s.pos // fill moved the window: start is now at s.pos
		i = start + off
	}
}

// key reads an object key (a JSON string) and the colon after it.
func (s *splitter) key() (string, error) {
	c, ok := s.peek()
	if !ok {
		return "", s.syntax("unexpected end of input, want an object key")
	}
	if c != '"' {
		return "", s.syntax("found %q, want an object key", c)
	}
	raw, err := s.value()
	if err != nil {
		return "", err
	}
	var k string
	if err := json.Unmarshal(raw, &k); err != nil {
		return "", s.syntax("bad object key: %v", err)
	}
	if err := s.expect(':', "':' after an object key"); err != nil {
		return "", err
	}
	return k, nil
}

// ReadRecords reads one CloudTrail log file from r and calls fn for each element of its
// Records array, in order, with the element's index and exact bytes (valid only during the
// call). Other top-level members are checked to be JSON and skipped. Errors name the position
// (byte offset, Records index) but not the file: the caller adds it.
func ReadRecords(r io.Reader, maxRecordSize int, fn func(i int, record []byte) error) (int, error) {
	s := newSplitter(r, maxRecordSize)
	c, ok := s.peek()
	if !ok {
		if err := s.readErr(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("%w: the file is empty", ErrNotTrailFile)
	}
	if c != '{' {
		return 0, fmt.Errorf("%w: it starts with %q", ErrNotTrailFile, c)
	}
	s.pos++
	n, seen := 0, false
	first := true
	for {
		c, ok := s.peek()
		if !ok {
			return n, s.syntax("unexpected end of input in the top-level object")
		}
		if c == '}' {
			s.pos++
			break
		}
		if !first {
			if err := s.expect(',', "',' or '}' in the top-level object"); err != nil {
				return n, err
			}
		}
		first = false
		k, err := s.key()
		if err != nil {
			return n, err
		}
		if k != "Records" {
			v, err := s.value()
			if err != nil {
				return n, err
			}
			if !json.Valid(v) {
				return n, s.syntax("the value of %q is not valid JSON", k)
			}
			continue
		}
		if seen {
			return n, fmt.Errorf("%w: two \"Records\" members", ErrNotTrailFile)
		}
		seen = true
		if c, ok := s.peek(); !ok || c != '[' {
			return n, fmt.Errorf("%w: \"Records\" is not an array", ErrNotTrailFile)
		}
		s.pos++
		if n, err = s.records(fn); err != nil {
			return n, err
		}
	}
	if c, ok := s.peek(); ok {
		return n, s.syntax("found %q after the top-level object", c)
	}
	if err := s.readErr(); err != nil {
		return n, err
	}
	if !seen {
		return 0, fmt.Errorf("%w: no \"Records\" member", ErrNotTrailFile)
	}
	return n, nil
}

// records reads the elements of the Records array after its '['.
func (s *splitter) records(fn func(int, []byte) error) (int, error) {
	n := 0
	for {
		c, ok := s.peek()
		if !ok {
			return n, s.syntax("unexpected end of input in Records")
		}
		if c == ']' {
			s.pos++
			return n, nil
		}
		if n > 0 {
			if err := s.expect(',', "',' or ']' in Records"); err != nil {
				return n, err
			}
			if c, ok = s.peek(); !ok {
				return n, s.syntax("unexpected end of input in Records")
			}
		}
		if c != '{' {
			return n, s.syntax("Records[%d] is not an object (starts with %q)", n, c)
		}
		rec, err := s.value()
		if err != nil {
			return n, fmt.Errorf("Records[%d]: %w", n, err)
		}
		if err := fn(n, rec); err != nil {
			return n, fmt.Errorf("Records[%d]: %w", n, err)
		}
		n++
	}
}
