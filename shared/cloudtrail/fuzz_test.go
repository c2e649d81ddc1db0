package cloudtrail

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseJSON checks that the decoder never panics, that every error wraps one of the three
// sentinels, and that a successful decode names a supported call and (unless it failed) a role.
func FuzzParseJSON(f *testing.F) {
	for _, pattern := range []string{"testdata/*", "../../events/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"source":"aws.iam","detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"iam.amazonaws.com","eventName":"CreateRole","requestParameters":{"roleName":"r","assumeRolePolicyDocument":"x"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseJSON(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotCloudTrail) && !errors.Is(err, ErrUnsupportedEvent) {
				t.Fatalf("ParseJSON error %v wraps no sentinel", err)
			}
			return
		}
		if c.EventName != CreateRole && c.EventName != UpdateAssumeRolePolicy && c.EventName != TagRole && c.EventName != UntagRole {
			t.Fatalf("ParseJSON accepted event name %q", c.EventName)
		}
		if c.RoleName == "" && !c.Failed() {
			t.Fatalf("ParseJSON accepted a successful %s without a role name", c.EventName)
		}
	})
}
