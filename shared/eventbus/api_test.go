package eventbus

import "github.com/aws/aws-sdk-go-v2/service/eventbridge"

var _ API = (*eventbridge.Client)(nil)
