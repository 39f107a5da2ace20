//go:build !amd64

package peak

// loopFor has no loops off amd64.
func loopFor(kernel string) (loop func(int), lanes int) { return nil, 0 }
