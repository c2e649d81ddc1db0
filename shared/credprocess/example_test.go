package credprocess_test

import (
	"fmt"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/credprocess"
)

func ExampleDefaultSourceIdentity() {
	for _, arn := range []string{
		"arn:aws:iam::111122223333:user/people/alice",
		"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_0123/alice@example.com",
		"arn:aws:iam::111122223333:root",
	} {
		c, _ := credprocess.ParseCallerARN(arn)
		v, err := credprocess.DefaultSourceIdentity(c)
		fmt.Printf("%s: %q %v\n", c.Kind, v, err != nil)
	}
	// Output:
	// user: "alice" false
	// role-session: "alice@example.com" false
	// root: "" true
}

func ExampleCredentials_ProcessJSON() {
	c := credprocess.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token",
		Expiration: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), SourceIdentity: "alice"}
	out, _ := c.ProcessJSON()
	fmt.Print(string(out))
	fmt.Println(c) // String never shows the secret or the token
	// Output:
	// {"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret","SessionToken":"token","Expiration":"2026-12-01T10:00:00Z"}
	// credentials ASIAEXAMPLE (source identity "alice", expires 2026-12-01T10:00:00Z)
}
