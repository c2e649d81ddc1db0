package template

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
)

// IaC fights: the threshold parameter matches what the functions accept (default, bounds),
// both functions count their writes in one table that keeps them 48 h (TTL), and the alarm
// watches the conflict decisions of both (TestAlarmsAndOperationsPage checks its metrics).
func TestIacFightSettings(t *testing.T) {
	tpl := expand(t)
	p := tpl.Parameters["IacFightThreshold"]
	if diff := cmp.Diff(map[string]any{"Type": "Number", "Default": float64(guard.DefaultFightThreshold), "MinValue": 0.0, "MaxValue": float64(guard.MaxFightThreshold)},
		map[string]any{"Type": p["Type"], "Default": num(t, p["Default"]), "MinValue": num(t, p["MinValue"]), "MaxValue": num(t, p["MaxValue"])}); diff != "" {
		t.Errorf("IacFightThreshold (-want +got):\n%s", diff)
	}
	table := tpl.Resources["TrustPolicyWritesTable"]
	if table.Type != "AWS::DynamoDB::Table" {
		t.Fatalf("TrustPolicyWritesTable = %+v", table)
	}
	ttl, _ := lookup(table.Properties, "TimeToLiveSpecification")
	if diff := cmp.Diff(map[string]any{"AttributeName": "expiresAt", "Enabled": true}, ttl); diff != "" {
		t.Errorf("TrustPolicyWritesTable TTL (-want +got):\n%s", diff)
	}
	keys, _ := lookup(table.Properties, "KeySchema")
	if diff := cmp.Diff([]any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}, map[string]any{"AttributeName": "sk", "KeyType": "RANGE"}}, keys); diff != "" {
		t.Errorf("TrustPolicyWritesTable keys (-want +got):\n%s", diff)
	}
	for _, fn := range []string{"EnforceFunction", "SweepFunction"} {
		env, _ := lookup(tpl.Resources[fn].Properties, "Environment", "Variables")
		vars, _ := env.(map[string]any)
		for k, want := range map[string]any{
			guard.EnvFightThreshold: map[string]any{"Ref": "IacFightThreshold"},
			guard.EnvFightTable:     map[string]any{"Ref": "TrustPolicyWritesTable"},
		} {
			if diff := cmp.Diff(want, vars[k]); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", fn, k, diff)
			}
		}
	}
	if r, ok := tpl.Resources["IacFightAlarm"]; !ok || r.Type != "AWS::CloudWatch::Alarm" {
		t.Errorf("no IacFightAlarm")
	}
}

func num(t *testing.T, v any) any {
	t.Helper()
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			t.Fatalf("%q is not a number", x)
		}
		return f
	}
	return v
}
