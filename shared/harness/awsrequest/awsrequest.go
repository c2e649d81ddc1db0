// Package awsrequest tells which AWS API call an HTTP request makes, for the loopback proxies of
// the test harness (callcount counts calls, faultproxy throttles chosen ones).
//
// The service is the signing name in the request's SigV4 credential scope ("iam", "events",
// "sqs"); the operation is the awsJson protocols' X-Amz-Target suffix or the query protocol's
// Action (in a form-encoded body, or in the URL query). REST protocols name the operation only
// by method and path, which this package does not map.
package awsrequest

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var scope = regexp.MustCompile(`Credential=[^/,]+/[^/]+/[^/]+/([^/]+)/aws4_request`)

// Service is the signing name of r's SigV4 credential scope, or "" for an unsigned request.
func Service(r *http.Request) string {
	if m := scope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	return ""
}

// Operation is the API operation r calls, or "" when it cannot be told. It reads a form-encoded
// body and puts it back, so the request can still be forwarded.
func Operation(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" { // awsJson: "AWSEvents.PutEvents"
		if i := strings.LastIndexByte(t, '.'); i >= 0 {
			return t[i+1:]
		}
		return t
	}
	if r.Body == nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return r.URL.Query().Get("Action")
	}
	body, err := Body(r)
	if err != nil {
		return ""
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return v.Get("Action")
}

// Body reads r's whole body and puts an identical one back.
func Body(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, err
}
