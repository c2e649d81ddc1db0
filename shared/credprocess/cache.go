package credprocess

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// RefreshMargin: a cached entry is used while more than this is left of it (capped at half its
// lifetime). The AWS CLI and botocore refresh 15 minutes before expiry.
const RefreshMargin = 15 * time.Minute

// cacheVersion changes when the file format or the key changes.
const cacheVersion = 1

// Key identifies one request in the cache. Every field that changes what STS would return is
// in it, so no two requests share an entry.
type Key struct {
	RoleARN         string
	SourceProfile   string
	SourceIdentity  string // the explicit --source-identity, "" when derived
	Keep            bool
	ExternalID      string
	SessionName     string
	Duration        time.Duration
	Endpoint        string // AWS_ENDPOINT_URL or the profile's endpoint
	Region          string
	BaseAccessKeyID string // the base credentials' access key id
}

// FileName is the entry's file name: a hash of every field, so nothing about the request shows
// in a directory listing.
func (k Key) FileName() string {
	h := sha256.New()
	for _, f := range []string{strconv.Itoa(cacheVersion), k.RoleARN, k.SourceProfile, k.SourceIdentity,
		strconv.FormatBool(k.Keep), k.ExternalID, k.SessionName, k.Duration.String(), k.Endpoint, k.Region, k.BaseAccessKeyID} {
		fmt.Fprintf(h, "%d:%s\n", len(f), f) // length-prefixed: no two field lists collide
	}
	return hex.EncodeToString(h.Sum(nil)) + ".json"
}

// Fresh reports whether cached credentials may still be handed out at now.
func Fresh(c Credentials, now time.Time) bool {
	if c.Expiration.IsZero() {
		return false
	}
	margin := RefreshMargin
	if !c.Issued.IsZero() {
		if half := c.Expiration.Sub(c.Issued) / 2; half < margin {
			margin = half
		}
	}
	return c.Expiration.Sub(now) > margin
}

// Cache is a directory of cached credentials.
type Cache struct {
	Dir string
}

// DefaultCacheDir is sidguard/credentials under the user's cache directory
// ($XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS).
func DefaultCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("credentials cache: %w", err)
	}
	return filepath.Join(base, "sidguard", "credentials"), nil
}

// entry is the file format.
type entry struct {
	Version         int       `json:"version"`
	RoleARN         string    `json:"roleArn"`
	SourceIdentity  string    `json:"sourceIdentity"`
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Expiration      time.Time `json:"expiration"`
	Issued          time.Time `json:"issued"`
}

// Load returns the entry for k when it exists, is private to the user and is fresh at now.
// A missing, stale, foreign or unreadable entry is a miss (ok false), not an error.
func (c Cache) Load(k Key, now time.Time) (Credentials, bool) {
	e, ok := c.read(filepath.Join(c.Dir, k.FileName()))
	if !ok || e.RoleARN != k.RoleARN {
		return Credentials{}, false
	}
	cr := e.credentials()
	if !Fresh(cr, now) {
		return Credentials{}, false
	}
	return cr, true
}

// SourceIdentityOf returns the source identity of the unexpired session whose access key id
// is accessKeyID, when this cache made it: what the helper knows about a base session that is
// itself one of its own.
func (c Cache) SourceIdentityOf(accessKeyID string, now time.Time) (string, bool) {
	if accessKeyID == "" {
		return "", false
	}
	files, err := filepath.Glob(filepath.Join(c.Dir, "*.json"))
	if err != nil {
		return "", false
	}
	for _, f := range files {
		if e, ok := c.read(f); ok && e.AccessKeyID == accessKeyID && e.Expiration.After(now) && e.SourceIdentity != "" {
			return e.SourceIdentity, true
		}
	}
	return "", false
}

func (c Cache) read(path string) (entry, bool) {
	f, err := os.Open(path)
	if err != nil {
		return entry{}, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o077 != 0 || !ownedByMe(st) || st.Size() > 64<<10 {
		return entry{}, false
	}
	var e entry
	if err := json.NewDecoder(f).Decode(&e); err != nil || e.Version != cacheVersion {
		return entry{}, false
	}
	return e, true
}

func (e entry) credentials() Credentials {
	return Credentials{AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey, SessionToken: e.SessionToken,
		Expiration: e.Expiration, SourceIdentity: e.SourceIdentity, Issued: e.Issued}
}

// Store writes the entry for k: a 0700 directory, a 0600 file, written to a temporary file and
// renamed so that a reader never sees half an entry.
func (c Cache) Store(k Key, cr Credentials) error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("credentials cache %s: %w", c.Dir, err)
	}
	if st, err := os.Stat(c.Dir); err != nil || st.Mode().Perm()&0o077 != 0 {
		if err == nil {
			err = fmt.Errorf("mode %v: others may read it; chmod 700 it", st.Mode().Perm())
		}
		return fmt.Errorf("credentials cache %s: %w", c.Dir, err)
	}
	data, err := json.Marshal(entry{Version: cacheVersion, RoleARN: k.RoleARN, SourceIdentity: cr.SourceIdentity,
		AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, SessionToken: cr.SessionToken,
		Expiration: cr.Expiration.UTC(), Issued: cr.Issued.UTC()})
	if err != nil {
		return fmt.Errorf("credentials cache: %w", err)
	}
	tmp, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("credentials cache %s: %w", c.Dir, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this is a no-op
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("credentials cache: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("credentials cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("credentials cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(c.Dir, k.FileName())); err != nil {
		return fmt.Errorf("credentials cache: %w", err)
	}
	return nil
}

// Prune removes expired entries; errors are ignored (the cache is an optimisation).
func (c Cache) Prune(now time.Time) {
	files, _ := filepath.Glob(filepath.Join(c.Dir, "*.json"))
	for _, f := range files {
		e, ok := c.read(f)
		if ok && !e.Expiration.After(now) {
			os.Remove(f)
		}
	}
	tmps, _ := filepath.Glob(filepath.Join(c.Dir, ".tmp-*"))
	for _, f := range tmps {
		if st, err := os.Stat(f); err == nil && now.Sub(st.ModTime()) > time.Hour {
			os.Remove(f)
		}
	}
}
