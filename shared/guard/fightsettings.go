package guard

import (
	"fmt"
	"strconv"
	"strings"
)

// Environment variables of the IaC fight rule (fight.go), read by LoadFightSettings for both
// functions.
const (
	// EnvFightThreshold: at most this many writes of one role's trust policy in 24 h (0 to 100,
	// default 3); 0 means no limit (the guard patches every time and records nothing).
	EnvFightThreshold = "IAC_FIGHT_THRESHOLD"
	// EnvFightTable: the DynamoDB table of the guard's writes (the template's
	// TrustPolicyWritesTable). "" means no record, hence no limit.
	EnvFightTable = "IAC_FIGHT_TABLE"
	// MaxFightThreshold bounds IAC_FIGHT_THRESHOLD (the template's MaxValue).
	MaxFightThreshold = 100
)

// FightSettings are the fight rule and where the writes are kept.
type FightSettings struct {
	Rule  FightRule
	Table string
}

// On reports whether the rule limits anything: a threshold and a table.
func (s FightSettings) On() bool { return s.Rule.Threshold > 0 && s.Table != "" }

// LoadFightSettings reads IAC_FIGHT_THRESHOLD and IAC_FIGHT_TABLE through lookup.
func LoadFightSettings(lookup func(string) (string, bool)) (FightSettings, error) {
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	s := FightSettings{Rule: FightRule{Threshold: DefaultFightThreshold, Window: FightWindow}, Table: get(EnvFightTable)}
	if v := get(EnvFightThreshold); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxFightThreshold {
			return FightSettings{}, fmt.Errorf("%s: %q is not a whole number from 0 to %d", EnvFightThreshold, v, MaxFightThreshold)
		}
		s.Rule.Threshold = n
	}
	if s.Table != "" && !charset(3, 255, ".-")(s.Table) {
		return FightSettings{}, fmt.Errorf("%s: %q is not a DynamoDB table name (3 to 255 of a-z A-Z 0-9 _ . -)", EnvFightTable, s.Table)
	}
	return s, nil
}
