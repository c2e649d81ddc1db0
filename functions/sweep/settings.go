package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
)

// Environment variables of the sweep function, besides the guard's (guard.LoadSettings).
const (
	EnvMode              = "SWEEP_MODE"                  // audit | allow | require; default audit
	EnvPositionParameter = "SWEEP_POSITION_PARAMETER"    // SSM parameter holding the resume position
	EnvConcurrency       = "SWEEP_CONCURRENCY"           // GetRole/UpdateAssumeRolePolicy calls in flight
	EnvMargin            = "SWEEP_SAFETY_MARGIN_SECONDS" // stop starting work when fewer seconds remain
	EnvPositionKey       = "SWEEP_POSITION_KEY_ID"       // KMS HMAC key that signs the position ("" = unsigned)
	EnvLockTable         = "SWEEP_LOCK_TABLE"            // DynamoDB table holding the run lease ("" = no lease)
	EnvPromotionTable    = "PROMOTION_TABLE"             // ledger table with promotion records ("" = none)
)

// Defaults.
const (
	DefaultMode              = guard.ModeAudit
	DefaultPositionParameter = "/source-identity-guard/sweep-position"
	maxConcurrency           = 32
)

type settings struct {
	guard             guard.Settings
	positionParameter string
	concurrency       int
	margin            time.Duration
	positionKey       string
	lockTable         string
}

// loadSettings reads the environment through lookup (os.LookupEnv in main).
func loadSettings(lookup func(string) (string, bool)) (settings, error) {
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	// The event path enforces new roles; the existing estate is reported first (audit) and
	// changed only when the operator says so, hence a default unlike the guard's.
	withDefaultMode := func(name string) (string, bool) {
		if name == EnvMode && get(EnvMode) == "" {
			return string(DefaultMode), true
		}
		return lookup(name)
	}
	g, err := guard.LoadSettings(withDefaultMode, EnvMode)
	if err != nil {
		return settings{}, err
	}
	s := settings{guard: g, positionParameter: DefaultPositionParameter, concurrency: sweep.DefaultConcurrency, margin: sweep.DefaultMargin}
	if v := get(EnvPositionParameter); v != "" {
		if !strings.HasPrefix(v, "/") && strings.Contains(v, "/") {
			return settings{}, fmt.Errorf("%s: %q: a hierarchical parameter name must start with /", EnvPositionParameter, v)
		}
		s.positionParameter = v
	}
	if v := get(EnvConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxConcurrency {
			return settings{}, fmt.Errorf("%s: %q is not a whole number from 1 to %d", EnvConcurrency, v, maxConcurrency)
		}
		s.concurrency = n
	}
	if v := get(EnvMargin); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 600 {
			return settings{}, fmt.Errorf("%s: %q is not a whole number of seconds from 1 to 600", EnvMargin, v)
		}
		s.margin = time.Duration(n) * time.Second
	}
	s.positionKey, s.lockTable = get(EnvPositionKey), get(EnvLockTable)
	if !validName(s.positionKey, "/:-_") || !validName(s.lockTable, ".-_") {
		return settings{}, fmt.Errorf("%s, %s: %q, %q: want a KMS key id, ARN or alias and a DynamoDB table name", EnvPositionKey, EnvLockTable, s.positionKey, s.lockTable)
	}
	return s, nil
}

// validName reports whether s is empty or of letters, digits and extra, at most 2048 long.
func validName(s, extra string) bool {
	if len(s) > 2048 {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune(extra, c)) {
			return false
		}
	}
	return true
}
