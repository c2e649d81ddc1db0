package main

import (
	"strings"
	"testing"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
)

func TestLoadSettings(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		mode        guard.Mode
		param       string
		concurrency int
		margin      time.Duration
	}{
		{"defaults: audit", map[string]string{}, guard.ModeAudit, DefaultPositionParameter, 4, 30 * time.Second},
		{"empty mode is the default", map[string]string{"SWEEP_MODE": " "}, guard.ModeAudit, DefaultPositionParameter, 4, 30 * time.Second},
		{"everything set", map[string]string{"SWEEP_MODE": "require", "SWEEP_POSITION_PARAMETER": "/x/y",
			"SWEEP_CONCURRENCY": "8", "SWEEP_SAFETY_MARGIN_SECONDS": "60"}, guard.ModeRequire, "/x/y", 8, time.Minute},
		{"MODE is the enforce function's, not ours", map[string]string{"MODE": "require"}, guard.ModeAudit, DefaultPositionParameter, 4, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadSettings(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if s.guard.Policy.Mode != tt.mode || s.positionParameter != tt.param || s.concurrency != tt.concurrency || s.margin != tt.margin {
				t.Errorf("loadSettings(%v) = mode %s param %s concurrency %d margin %v; want %s %s %d %v", tt.env,
					s.guard.Policy.Mode, s.positionParameter, s.concurrency, s.margin, tt.mode, tt.param, tt.concurrency, tt.margin)
			}
		})
	}
}

func TestLoadSettingsErrors(t *testing.T) {
	for _, tt := range []struct{ name, value string }{
		{"SWEEP_MODE", "enforce"},
		{"SWEEP_CONCURRENCY", "0"},
		{"SWEEP_CONCURRENCY", "many"},
		{"SWEEP_SAFETY_MARGIN_SECONDS", "0"},
		{"SWEEP_POSITION_PARAMETER", "a/b"},
		{"FINDINGS_BUS_NAME", "bad bus!"},
	} {
		_, err := loadSettings(env(map[string]string{tt.name: tt.value}))
		if err == nil || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s=%q: error %v; want one naming the variable", tt.name, tt.value, err)
		}
	}
}
