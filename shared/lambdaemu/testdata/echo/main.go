// Command echo is a test function: it answers {"event": <the event>, "greeting": $GREETING}, and
// fails when the event is {"fail": true}.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, event json.RawMessage) (map[string]any, error) {
		var in struct{ Fail bool }
		_ = json.Unmarshal(event, &in)
		if in.Fail {
			return nil, errors.New("asked to fail")
		}
		return map[string]any{"event": event, "greeting": os.Getenv("GREETING")}, nil
	})
}
