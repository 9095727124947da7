package osv

import "testing"

// The scores NVD gives these vectors (CVSS 3.1 calculator).
func TestCVSS3Scores(t *testing.T) {
	for vector, want := range map[string]float64{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": 9.8,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N": 6.1,
		"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N": 5.5,
		"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N": 3.1,
		"CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H": 9.9,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N": 0,
	} {
		got, ok := cvss3(vector)
		if !ok || got != want {
			t.Errorf("cvss3(%s) = %v, %v; want %v", vector, got, ok, want)
		}
	}
	for _, bad := range []string{"", "CVSS:2.0/AV:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:Q/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:Z/UI:N/S:U/C:H/I:H/A:H"} {
		if _, ok := cvss3(bad); ok {
			t.Errorf("cvss3(%q) accepted", bad)
		}
	}
}
