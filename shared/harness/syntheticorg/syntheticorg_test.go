package syntheticorg_test

import (
	"bytes"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/syntheticorg"
	"github.com/source-identity-guard/source-identity-guard/shared/htmlreport"
)

// What it writes is what the report reads, deterministically.
func TestWriteDecodes(t *testing.T) {
	spec := syntheticorg.Spec{Accounts: 7, RolesPerAccount: 50, Mix: syntheticorg.MidRollout, ReadinessPerAccount: 3, Seed: 1}
	var scan, ready bytes.Buffer
	n, r, err := syntheticorg.Write(spec, &scan, &ready)
	if err != nil || n != 350 || r != 21 {
		t.Fatalf("Write = %d, %d, %v; want 350, 21, nil", n, r, err)
	}
	var again, againReady bytes.Buffer
	syntheticorg.Write(spec, &again, &againReady)
	if !bytes.Equal(scan.Bytes(), again.Bytes()) {
		t.Error("two runs with one seed differ")
	}
	si, err := htmlreport.Decode("scan", &scan)
	if err != nil {
		t.Fatal(err)
	}
	ri, err := htmlreport.Decode("readiness", &ready)
	if err != nil {
		t.Fatal(err)
	}
	rep := htmlreport.Build([]htmlreport.Input{si, ri}, htmlreport.Options{})
	if len(rep.Accounts) != 7 || rep.Total.Open == 0 || rep.Total.Allowing == 0 || rep.Total.Requiring == 0 || rep.Readiness == nil {
		t.Errorf("report of the synthetic org: %d accounts, total %+v", len(rep.Accounts), rep.Total)
	}
}
