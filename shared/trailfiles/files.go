package trailfiles

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip" // about twice as fast as compress/gzip at inflating (BenchmarkGunzip)
)

// Store lists and opens S3 objects. shared/s3objects implements it with the AWS SDK; tests
// may use an in-memory one.
type Store interface {
	// List calls fn for every object key under prefix, in S3's (lexical) order.
	List(ctx context.Context, bucket, prefix string, fn func(key string) error) error
	// Open streams one object's content.
	Open(ctx context.Context, bucket, key string) (io.ReadCloser, error)
}

// ErrNoFiles: a folder or S3 prefix holds no CloudTrail log file.
var ErrNoFiles = errors.New("no CloudTrail log files (.json, .json.gz)")

// ErrNoStore: an s3:// path was given but no Store is configured.
var ErrNoStore = errors.New("s3:// paths need an S3 client")

// File is one log file to read: a local path or an s3://bucket/key URL.
type File struct {
	Name string // what errors and outputs call it: the path as found, or s3://bucket/key

	bucket, key string // set for S3 objects
}

// Reader finds and reads CloudTrail log files.
type Reader struct {
	Store         Store // needed only for s3:// paths
	MaxRecordSize int   // 0: DefaultMaxRecordSize
}

// IsLogFile reports whether a name found while walking a folder or listing a prefix is a
// CloudTrail log file: it ends in .json or .json.gz and is not under a CloudTrail-Digest
// folder (digest files are .json.gz too but hold no Records; see
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html).
func IsLogFile(name string) bool {
	if !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".json.gz") {
		return false
	}
	name = filepath.ToSlash(name)
	return !strings.Contains("/"+name, "/CloudTrail-Digest/")
}

// Files resolves paths (files, folders walked recursively, s3://bucket/prefix) into the
// files to read, in a stable order: each path in turn, lexical order inside a folder or
// prefix. A file named explicitly is read whatever its name; inside folders and prefixes only
// IsLogFile names count. A file reached twice is listed once. A missing path, an unreadable
// folder or a folder or prefix without any log file is an error naming it.
func (r *Reader) Files(ctx context.Context, paths []string) ([]File, error) {
	var files []File
	seen := map[string]bool{}
	add := func(f File, id string) {
		if !seen[id] {
			seen[id] = true
			files = append(files, f)
		}
	}
	for _, p := range paths {
		before := len(files)
		found := false
		if rest, ok := strings.CutPrefix(p, "s3://"); ok {
			bucket, prefix, _ := strings.Cut(rest, "/")
			if bucket == "" {
				return nil, fmt.Errorf("read %s: no bucket name", p)
			}
			if r.Store == nil {
				return nil, fmt.Errorf("read %s: %w", p, ErrNoStore)
			}
			err := r.Store.List(ctx, bucket, prefix, func(key string) error {
				if key == prefix || IsLogFile(key) {
					found = true
					u := "s3://" + bucket + "/" + key
					add(File{Name: u, bucket: bucket, key: key}, u)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", p, err)
			}
		} else {
			info, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", p, err)
			}
			if !info.IsDir() {
				found = true
				add(File{Name: p}, absPath(p))
			} else {
				err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
					if err != nil {
						return err
					}
					if d.IsDir() {
						if d.Name() == "CloudTrail-Digest" {
							return filepath.SkipDir
						}
						return nil
					}
					if d.Type().IsRegular() && IsLogFile(path) {
						found = true
						add(File{Name: path}, absPath(path))
					}
					return nil
				})
				if err != nil {
					return nil, fmt.Errorf("read %s: %w", p, err)
				}
			}
		}
		if !found && len(files) == before {
			return nil, fmt.Errorf("read %s: %w", p, ErrNoFiles)
		}
	}
	return files, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// open opens a file and undoes gzip when the content starts with gzip's magic bytes (trails
// deliver .json.gz; a copy may have been unpacked or renamed).
func (r *Reader) open(ctx context.Context, f File) (io.Reader, func() error, error) {
	var rc io.ReadCloser
	var err error
	if f.bucket != "" {
		if r.Store == nil {
			return nil, nil, ErrNoStore
		}
		rc, err = r.Store.Open(ctx, f.bucket, f.key)
	} else {
		rc, err = os.Open(f.Name)
	}
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(rc, chunk)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			rc.Close()
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, func() error { zr.Close(); return rc.Close() }, nil
	}
	return br, rc.Close, nil
}

// ReadFile reads one file and calls fn for each record (bytes valid only during the call).
// Errors are prefixed with the file's name and wrap ErrNotTrailFile, ErrSyntax, ErrTooLarge,
// fn's error or the I/O error.
func (r *Reader) ReadFile(ctx context.Context, f File, fn func(i int, record []byte) error) (int, error) {
	in, closeFn, err := r.open(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", f.Name, err)
	}
	n, err := ReadRecords(ctxReader{ctx, in}, r.MaxRecordSize, fn)
	cerr := closeFn()
	if err != nil {
		return n, fmt.Errorf("read %s: %w", f.Name, err)
	}
	if cerr != nil {
		return n, fmt.Errorf("read %s: %w", f.Name, cerr)
	}
	return n, nil
}

// ctxReader stops reading once ctx is done (between reads).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Scan reads files with up to workers goroutines (at least 1), one file at a time per worker,
// and calls visit for every record with the worker's number (0..workers-1), so a caller can
// keep one accumulator per worker without locks. Records of one file are visited in order by
// one worker; files are spread over workers in no fixed order. The first error stops the scan
// and is returned (the others are dropped).
func (r *Reader) Scan(ctx context.Context, files []File, workers int, visit func(worker int, f File, i int, record []byte) error) error {
	if workers < 1 {
		workers = 1
	}
	if workers > len(files) {
		workers = max(1, len(files))
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan File)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				if ctx.Err() != nil {
					continue
				}
				_, err := r.ReadFile(ctx, f, func(i int, rec []byte) error { return visit(w, f, i, rec) })
				if err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for _, f := range files {
		select {
		case next <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx) // nil unless a file failed or the caller gave up
}
