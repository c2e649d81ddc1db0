package main

import (
	"fmt"
	"os"
	"strings"
)

// The in-process entry point, as the tests use it.
func Example_check() {
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
	  "Principal":{"AWS":"arn:aws:iam::111122223333:role/ci-runner"},"Action":"sts:AssumeRole"}]}`
	code := run([]string{"check", "--mode", "allow"}, strings.NewReader(policy), os.Stdout, os.Stderr)
	fmt.Println("exit", code)
	// Output:
	// missing-set-source-identity: statement 0 does not allow sts:SetSourceIdentity for AWS principal arn:aws:iam::111122223333:role/ci-runner, so it cannot pass a source identity
	// stdin: NOT compliant under mode allow: 1 finding, 1 fixable by "sidguard fix"
	// exit 1
}

func Example_fix() {
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
	  "Principal":{"AWS":"arn:aws:iam::111122223333:role/ci-runner"},"Action":"sts:AssumeRole"}]}`
	run([]string{"fix", "--indent"}, strings.NewReader(policy), os.Stdout, os.Stderr)
	// Output:
	// {
	//   "Version": "2012-10-17",
	//   "Statement": [
	//     {
	//       "Effect": "Allow",
	//       "Principal": {
	//         "AWS": "arn:aws:iam::111122223333:role/ci-runner"
	//       },
	//       "Action": [
	//         "sts:AssumeRole",
	//         "sts:SetSourceIdentity"
	//       ],
	//       "Condition": {
	//         "StringLike": {
	//           "sts:SourceIdentity": "*"
	//         }
	//       }
	//     }
	//   ]
	// }
}
