package testdist

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// WheelZip zips members (path, content; in order) as a wheel whose .dist-info folder is
// distInfo ("name-1.0.dist-info/"), adding its RECORD with each member's sha256 and size:
// the wheels tests write in Go, never built by running anything.
func WheelZip(distInfo string, members [][2]string) ([]byte, error) {
	var record strings.Builder
	for _, m := range members {
		sum := sha256.Sum256([]byte(m[1]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", m[0], base64.RawURLEncoding.EncodeToString(sum[:]), len(m[1]))
	}
	record.WriteString(distInfo + "RECORD,,\n")
	members = append(members[:len(members):len(members)], [2]string{distInfo + "RECORD", record.String()})
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, m := range members {
		w, err := zw.Create(m[0])
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(m[1])); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
