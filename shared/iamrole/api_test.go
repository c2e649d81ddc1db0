package iamrole

import "github.com/aws/aws-sdk-go-v2/service/iam"

var _ API = (*iam.Client)(nil)
