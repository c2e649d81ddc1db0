// Package kmsmac signs and verifies small messages with an HMAC key held in AWS KMS
// (GenerateMac / VerifyMac, HMAC_SHA_256). It is the only KMS I/O of the project.
//
// The sweep signs the position it saves so that whoever may write the SSM parameter (but may
// not use the key) cannot make the next run skip roles: the key never leaves KMS, and the key
// policy in template.yaml lets only the sweep's role call GenerateMac and VerifyMac
// (https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html).
package kmsmac

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// API is the part of *kms.Client the Signer uses.
type API interface {
	GenerateMac(ctx context.Context, in *kms.GenerateMacInput, optFns ...func(*kms.Options)) (*kms.GenerateMacOutput, error)
	VerifyMac(ctx context.Context, in *kms.VerifyMacInput, optFns ...func(*kms.Options)) (*kms.VerifyMacOutput, error)
}

var _ API = (*kms.Client)(nil)

// Signer signs with one KMS HMAC key.
type Signer struct {
	api   API
	keyID string
}

// New returns a Signer for the key keyID (key id, ARN or alias).
func New(api API, keyID string) *Signer { return &Signer{api: api, keyID: keyID} }

// Sign returns the HMAC-SHA-256 tag of msg.
func (s *Signer) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	out, err := s.api.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: aws.String(s.keyID), Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	if err != nil {
		return nil, fmt.Errorf("kms generate mac (key %s): %w", s.keyID, err)
	}
	return out.Mac, nil
}

// Verify reports whether mac is msg's tag under the key. A tag that does not match is
// (false, nil); an error means the check could not be made.
func (s *Signer) Verify(ctx context.Context, msg, mac []byte) (bool, error) {
	out, err := s.api.VerifyMac(ctx, &kms.VerifyMacInput{KeyId: aws.String(s.keyID), Message: msg, Mac: mac, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	if _, ok := errors.AsType[*types.KMSInvalidMacException](err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("kms verify mac (key %s): %w", s.keyID, err)
	}
	return out.MacValid, nil
}
