package estate

import "testing"

func TestPlan(t *testing.T) {
	for _, n := range []int{0, 1, 9, 22, 1000, 5000} {
		plan := Plan(n)
		sum := 0
		for _, c := range plan {
			sum += c
		}
		if sum != n || len(plan) != len(Kinds) {
			t.Errorf("Plan(%d) = %v (sum %d); want %d roles over %d kinds", n, plan, sum, n, len(Kinds))
		}
	}
	// Weights 10 (compliant) and 2 (service) of 22: 12/22 of the roles comply.
	if p := Plan(2200); p[0]+p[2] != 1200 {
		t.Errorf("Plan(2200) compliant+service = %d; want 1200", p[0]+p[2])
	}
}

func TestKindOf(t *testing.T) {
	for _, k := range Kinds {
		got, ok := KindOf(RoleName(k, 42))
		if !ok || got.Name != k.Name {
			t.Errorf("KindOf(%q) = %q, %v", RoleName(k, 42), got.Name, ok)
		}
	}
	if _, ok := KindOf("someone-else"); ok {
		t.Error("KindOf(someone-else) found a kind")
	}
}
