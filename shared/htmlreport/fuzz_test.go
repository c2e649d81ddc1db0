package htmlreport_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/htmlreport"
)

// Decode either fails with ErrUnusable or gives records that Build and Render accept.
func FuzzDecode(f *testing.F) {
	f.Add(scanLine + "\n" + readinessLine)
	f.Add(`{"role":"x","decision":"unfixable","mode":"require","findings":[{"code":"too-large","statement":-1}]}`)
	f.Add(`{"role":"arn:aws:iam::111122223333:role/x","assumptions":3,"withoutSourceIdentity":1,"ready":false,"callers":[{"principal":"p","withoutSourceIdentity":1}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		in, err := htmlreport.Decode("fuzz", strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, htmlreport.ErrUnusable) {
				t.Fatalf("error %v does not wrap ErrUnusable", err)
			}
			return
		}
		rep := htmlreport.Build([]htmlreport.Input{in}, htmlreport.Options{Generated: time.Unix(0, 0)})
		if rep.Total.Judged+rep.Total.Skipped != rep.ScanRecords {
			t.Fatalf("tally %+v does not add up to %d scan records", rep.Total, rep.ScanRecords)
		}
		if err := htmlreport.Render(io.Discard, rep); err != nil {
			t.Fatal(err)
		}
	})
}
