package htmlreport_test

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/htmlreport"
)

func Example() {
	scan := `{"account":"111122223333","role":"app","arn":"arn:aws:iam::111122223333:role/app","path":"/","decision":"would-patch","reason":"audit: trust policy would be patched to require a source identity","mode":"audit","findings":[{"code":"missing-source-identity-condition","statement":0,"principals":["AWS:arn:aws:iam::111122223333:root"],"message":"statement 0 lets the account 111122223333 assume the role without a source identity"}]}
{"account":"111122223333","role":"api","arn":"arn:aws:iam::111122223333:role/api","path":"/","decision":"compliant","reason":"trust policy requires a source identity","mode":"audit","findings":[]}
`
	in, err := htmlreport.Decode("scan.jsonl", strings.NewReader(scan))
	if err != nil {
		fmt.Println(err)
		return
	}
	rep := htmlreport.Build([]htmlreport.Input{in}, htmlreport.Options{Generated: time.Now()})
	for _, a := range rep.Accounts {
		fmt.Printf("%s: %d judged, %d open, %s require\n", a.Label, a.Judged, a.Open, htmlreport.Share(a.Requiring, a.Judged))
	}
	fmt.Println(htmlreport.Render(io.Discard, rep))
	// Output:
	// 111122223333: 2 judged, 1 open, 50.0% require
	// <nil>
}
