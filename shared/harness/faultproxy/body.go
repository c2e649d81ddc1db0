package faultproxy

import (
	"bytes"
	"io"
	"net/http"
)

func readAllAndRestore(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, err
}
