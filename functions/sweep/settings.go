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
	EnvConcurrency       = "SWEEP_CONCURRENCY"           // ListRoleTags/UpdateAssumeRolePolicy calls in flight
	EnvMargin            = "SWEEP_SAFETY_MARGIN_SECONDS" // stop starting work when fewer seconds remain
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
	return s, nil
}
