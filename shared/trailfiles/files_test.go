package trailfiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeFile(t *testing.T, path string, data []byte, gz bool) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if gz {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data = b.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func trail(ids ...string) []byte {
	var recs []string
	for _, id := range ids {
		recs = append(recs, fmt.Sprintf(`{"eventID":%q}`, id))
	}
	return []byte(`{"Records":[` + strings.Join(recs, ",") + `]}`)
}

// memStore is an in-memory Store.
type memStore map[string][]byte // "bucket/key" -> content

func (m memStore) List(_ context.Context, bucket, prefix string, fn func(string) error) error {
	var keys []string
	for k := range m {
		if b, key, _ := strings.Cut(k, "/"); b == bucket && strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

func (m memStore) Open(_ context.Context, bucket, key string) (io.ReadCloser, error) {
	b, ok := m[bucket+"/"+key]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func names(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, filepath.ToSlash(f.Name))
	}
	return out
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "AWSLogs", "111122223333")
	writeFile(t, filepath.Join(base, "CloudTrail", "us-east-1", "2026", "11", "30", "b.json.gz"), trail("b"), true)
	writeFile(t, filepath.Join(base, "CloudTrail", "us-east-1", "2026", "11", "30", "a.json"), trail("a"), false)
	writeFile(t, filepath.Join(base, "CloudTrail", "us-east-1", "notes.txt"), []byte("x"), false)
	writeFile(t, filepath.Join(base, "CloudTrail-Digest", "us-east-1", "d.json.gz"), []byte(`{"digestStartTime":"x"}`), true)
	explicit := filepath.Join(dir, "renamed.log")
	writeFile(t, explicit, trail("c"), true)

	r := &Reader{}
	files, err := r.Files(context.Background(), []string{dir, explicit, filepath.Join(base, "CloudTrail")})
	if err != nil {
		t.Fatal(err)
	}
	rel := func(p string) string { return filepath.ToSlash(filepath.Join(dir, p)) }
	want := []string{
		rel("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/30/a.json"),
		rel("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/30/b.json.gz"),
		rel("renamed.log"),
	}
	if diff := cmp.Diff(want, names(files)); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}

	var got []string
	var mu sync.Mutex
	err = r.Scan(context.Background(), files, 2, func(w int, f File, i int, rec []byte) error {
		if w < 0 || w > 1 {
			t.Errorf("worker %d", w)
		}
		mu.Lock()
		got = append(got, string(rec))
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{`{"eventID":"a"}`, `{"eventID":"b"}`, `{"eventID":"c"}`}, got); diff != "" {
		t.Fatalf("records (-want +got):\n%s", diff)
	}
}

func TestFilesErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	writeFile(t, filepath.Join(dir, "only.txt"), []byte("x"), false)
	r := &Reader{}
	tests := []struct {
		path string
		want error
	}{
		{filepath.Join(dir, "missing"), fs.ErrNotExist},
		{empty, ErrNoFiles},
		{"s3://bucket/prefix", ErrNoStore},
	}
	for _, tt := range tests {
		_, err := r.Files(context.Background(), []string{tt.path})
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.path) {
			t.Errorf("Files(%s): %v, want %v naming the path", tt.path, err, tt.want)
		}
	}
}

func TestReadFileErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		data []byte
		gz   bool
		want error
	}{
		{"digest.json", []byte(`{"digestStartTime":"x"}`), false, ErrNotTrailFile},
		{"broken.json.gz", []byte(`{"Records":[{"a":1},{"b"`), true, ErrSyntax},
		{"list.json", []byte(`[]`), false, ErrNotTrailFile},
	}
	r := &Reader{}
	for _, tt := range tests {
		p := filepath.Join(dir, tt.name)
		writeFile(t, p, tt.data, tt.gz)
		_, err := r.ReadFile(context.Background(), File{Name: p}, func(int, []byte) error { return nil })
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v, want %v naming the file", tt.name, err, tt.want)
		}
	}
	// A truncated gzip stream is an I/O error naming the file.
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(trail("a", "b", "c"))
	zw.Close()
	p := filepath.Join(dir, "cut.json.gz")
	os.WriteFile(p, b.Bytes()[:b.Len()-10], 0o644)
	_, err := r.ReadFile(context.Background(), File{Name: p}, func(int, []byte) error { return nil })
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("truncated gzip: %v", err)
	}
}

func TestS3Paths(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(trail("s3b"))
	zw.Close()
	store := memStore{
		"trail/AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2026/11/30/a.json.gz":        gz.Bytes(),
		"trail/AWSLogs/o-abc/111122223333/CloudTrail-Digest/us-east-1/2026/11/30/d.json.gz": []byte("x"),
		"trail/AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2026/11/30/readme.md":        []byte("x"),
		"trail/other/x.json": trail("other"),
	}
	r := &Reader{Store: store}
	files, err := r.Files(context.Background(), []string{"s3://trail/AWSLogs/", "s3://trail/AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2026/11/30/a.json.gz"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"s3://trail/AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2026/11/30/a.json.gz"}
	if diff := cmp.Diff(want, names(files)); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}
	var got []string
	if err := r.Scan(context.Background(), files, 1, func(_ int, _ File, _ int, rec []byte) error {
		got = append(got, string(rec))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{`{"eventID":"s3b"}`}, got); diff != "" {
		t.Fatalf("records (-want +got):\n%s", diff)
	}
	if _, err := r.Files(context.Background(), []string{"s3://trail/nothing/"}); !errors.Is(err, ErrNoFiles) {
		t.Fatalf("empty prefix: %v", err)
	}
}

func TestScanStopsAtFirstError(t *testing.T) {
	dir := t.TempDir()
	var files []File
	for i := range 20 {
		p := filepath.Join(dir, fmt.Sprintf("f%02d.json", i))
		writeFile(t, p, trail("a", "b"), false)
		files = append(files, File{Name: p})
	}
	boom := errors.New("boom")
	err := (&Reader{}).Scan(context.Background(), files, 3, func(_ int, f File, i int, _ []byte) error {
		if strings.HasSuffix(f.Name, "f05.json") && i == 1 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "f05.json") || !strings.Contains(err.Error(), "Records[1]") {
		t.Fatalf("Scan: %v", err)
	}
}
