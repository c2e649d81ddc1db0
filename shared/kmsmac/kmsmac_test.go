package kmsmac

import (
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

func TestMain(m *testing.M) { os.Exit(motoserver.RunTests(m)) }

func key(t *testing.T, c *kms.Client) string {
	t.Helper()
	out, err := c.CreateKey(t.Context(), &kms.CreateKeyInput{KeySpec: types.KeySpecHmac256, KeyUsage: types.KeyUsageTypeGenerateVerifyMac})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.KeyMetadata.KeyId)
}

// Against moto's KMS: a tag verifies for its message and key only.
func TestSignVerify(t *testing.T) {
	c := kms.NewFromConfig(motoserver.Shared(t).AWSConfig())
	s := New(c, key(t, c))
	other := New(c, key(t, c))
	msg := []byte(`{"marker":"m","after":"r1"}`)
	mac, err := s.Sign(t.Context(), msg)
	if err != nil || len(mac) == 0 {
		t.Fatalf("Sign: %v (%d bytes)", err, len(mac))
	}
	for _, c := range []struct {
		name   string
		signer *Signer
		msg    []byte
		want   bool
	}{
		{"same key, same message", s, msg, true},
		{"changed message", s, []byte(`{"marker":"m","after":"zzz"}`), false},
		{"another key", other, msg, false},
	} {
		ok, err := c.signer.Verify(t.Context(), c.msg, mac)
		if err != nil || ok != c.want {
			t.Errorf("%s: Verify = %v, %v; want %v", c.name, ok, err, c.want)
		}
	}
}
