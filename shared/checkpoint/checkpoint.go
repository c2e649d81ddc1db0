// Package checkpoint keeps a small piece of state, such as where a sweep stopped, in one SSM
// Parameter Store parameter. It is the only SSM I/O of the project.
package checkpoint

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// API is the part of *ssm.Client that Store uses.
type API interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, optFns ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

var _ API = (*ssm.Client)(nil)

// Store reads and writes one String parameter.
type Store struct {
	api  API
	name string
}

// New returns a Store for the parameter called name (e.g. "/source-identity-guard/sweep-position").
func New(api API, name string) *Store { return &Store{api: api, name: name} }

// Name is the parameter name.
func (s *Store) Name() string { return s.name }

// Load returns the parameter's value, or nil when the parameter does not exist.
func (s *Store) Load(ctx context.Context) ([]byte, error) {
	out, err := s.api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.name)})
	if _, ok := errors.AsType[*types.ParameterNotFound](err); ok {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get parameter %q: %w", s.name, err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return nil, nil
	}
	return []byte(*out.Parameter.Value), nil
}

// Save overwrites the parameter with value (SSM refuses an empty value: pass "{}" or similar).
func (s *Store) Save(ctx context.Context, value []byte) error {
	_, err := s.api.PutParameter(ctx, &ssm.PutParameterInput{
		Name:      aws.String(s.name),
		Value:     aws.String(string(value)),
		Type:      types.ParameterTypeString,
		Overwrite: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("put parameter %q: %w", s.name, err)
	}
	return nil
}
