package sarif_test

import (
	"os"

	"github.com/source-identity-guard/source-identity-guard/shared/sarif"
)

func ExampleLog() {
	log := sarif.New(sarif.Driver{Name: "sidguard", Rules: []sarif.Rule{{ID: "wildcard-principal"}}})
	log.Add(sarif.Result{
		RuleID:  "wildcard-principal",
		Level:   sarif.LevelError,
		Message: sarif.Message{Text: "anyone may assume the role"},
		Locations: []sarif.Location{{LogicalLocations: []sarif.LogicalLocation{{
			Name: "open", FullyQualifiedName: "arn:aws:iam::123456789012:role/open", Kind: "resource"}}}},
	})
	log.Write(os.Stdout)
	// Output:
	// {
	//   "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
	//   "version": "2.1.0",
	//   "runs": [
	//     {
	//       "tool": {
	//         "driver": {
	//           "name": "sidguard",
	//           "rules": [
	//             {
	//               "id": "wildcard-principal"
	//             }
	//           ]
	//         }
	//       },
	//       "results": [
	//         {
	//           "ruleId": "wildcard-principal",
	//           "ruleIndex": 0,
	//           "level": "error",
	//           "message": {
	//             "text": "anyone may assume the role"
	//           },
	//           "locations": [
	//             {
	//               "logicalLocations": [
	//                 {
	//                   "name": "open",
	//                   "fullyQualifiedName": "arn:aws:iam::123456789012:role/open",
	//                   "kind": "resource"
	//                 }
	//               ]
	//             }
	//           ]
	//         }
	//       ]
	//     }
	//   ]
	// }
}
