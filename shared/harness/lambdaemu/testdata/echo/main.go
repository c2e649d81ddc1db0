// Command echo is a test function: it answers {"event": <the event>, "greeting": $GREETING}, and
// fails when the event is {"fail": true}. With EXIT_AT_START=n it exits with status n before
// serving (a failed init).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	if code, err := strconv.Atoi(os.Getenv("EXIT_AT_START")); err == nil {
		os.Exit(code)
	}
	lambda.Start(func(ctx context.Context, event json.RawMessage) (map[string]any, error) {
		var in struct{ Fail bool }
		_ = json.Unmarshal(event, &in)
		if in.Fail {
			return nil, errors.New("asked to fail")
		}
		return map[string]any{"event": event, "greeting": os.Getenv("GREETING")}, nil
	})
}
