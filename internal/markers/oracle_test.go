package markers

import (
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

type oracleResult struct {
	OK    bool    `json:"ok"`
	Err   string  `json:"err"`
	Str   string  `json:"str"`
	Evals []*bool `json:"evals"`
}

func runOracle(t *testing.T, ms []string, envs []Env) []oracleResult {
	t.Helper()
	var res []oracleResult
	testdist.RunPython(t, testdist.PackagingOracle(t), "testdata/oracle.py", map[string]any{"markers": ms, "envs": envs}, &res)
	if len(res) != len(ms) {
		t.Fatalf("oracle returned %d results for %d markers", len(res), len(ms))
	}
	return res
}

var oracleEnvs = []Env{
	{"python_version": "3.11", "python_full_version": "3.11.7", "os_name": "posix", "sys_platform": "linux",
		"platform_machine": "x86_64", "platform_python_implementation": "CPython", "platform_release": "6.1.0",
		"platform_system": "Linux", "platform_version": "#1 SMP Debian", "implementation_name": "cpython",
		"implementation_version": "3.11.7", "extra": ""},
	{"python_version": "3.8", "python_full_version": "3.8.10", "os_name": "nt", "sys_platform": "win32",
		"platform_machine": "AMD64", "platform_python_implementation": "CPython", "platform_release": "10",
		"platform_system": "Windows", "platform_version": "10.0.19041", "implementation_name": "cpython",
		"implementation_version": "3.8.10", "extra": "test"},
	{"python_version": "3.13", "python_full_version": "3.13.0rc1", "os_name": "posix", "sys_platform": "darwin",
		"platform_machine": "arm64", "platform_python_implementation": "PyPy", "platform_release": "23.1.0",
		"platform_system": "Darwin", "platform_version": "Darwin Kernel", "implementation_name": "pypy",
		"implementation_version": "7.3.17", "extra": "Socks"},
	{"python_version": "2.7", "python_full_version": "2.7.18", "os_name": "posix", "sys_platform": "linux2",
		"platform_machine": "i686", "platform_python_implementation": "Jython", "platform_release": "4.4",
		"platform_system": "Linux", "platform_version": "x", "implementation_name": "jython",
		"implementation_version": "2.7.3", "extra": "docs_extra"},
}

var oracleMarkers = []string{
	`python_version >= "3.8"`,
	`python_version<'3.8'`,
	`python_version >= "3.8" and extra == "test"`,
	`python_version > "3.6" or (python_version == "3.6" and os_name == "unix")`,
	`(python_version > "3.6" or python_version == "3.6") and os_name == "unix"`,
	`os_name == "nt" or sys_platform == "win32" and platform_machine == "AMD64"`,
	`"3.8" < python_version`,
	`"linux" in sys_platform`,
	`"linux" not in sys_platform`,
	`sys_platform not in "win32 cygwin"`,
	`python_full_version == "3.13.*"`,
	`python_full_version >= "3.13.0"`,
	`python_full_version >= "3.13.0rc1"`,
	`python_version ~= "3.8"`,
	`python_version ~= "3"`,
	`python_version === "3.8"`,
	`platform_python_implementation == "CPython"`,
	`python_implementation == "PyPy"`,
	`os.name == "nt"`,
	`sys.platform == "linux"`,
	`platform.machine == "x86_64"`,
	`platform.python_implementation == "Jython"`,
	`platform.version == "x"`,
	`extra == "TEST"`,
	`extra == "docs-extra"`,
	`extra == 'socks'`,
	`"Socks" == extra`,
	`extra != "test"`,
	`implementation_name == "cpython" and implementation_version >= "3.9"`,
	`platform_release >= "5"`,
	`platform_release < "10"`,
	`platform_system == "Linux"`,
	`platform_version == "10.0.19041"`,
	`python_version < "3.10" and (extra == "test" or extra == "docs_extra")`,
	`((python_version < "3.10"))`,
	`(python_version < "3.10") and os_name == "posix"`,
	`python_version<"3.10"and os_name=="posix"`,
	`python_version	>=	"3.8"`,
	`  python_version >= "3.8"  `,
	`python_version > "3.8.*"`,
	`python_version == "3.1a"`,
	`sys_platform < "m"`,
	`sys_platform ~= "linux"`,
	`python_version == python_full_version`,
	`python_version >= "3" or extra == "a" and extra == "b" or os_name == "posix"`,
	`platform_machine in "x86_64 aarch64"`,
	`platform_machine not in "x86_64 aarch64"`,
	`python_version >= "1!1.0"`,
	`python_full_version != "3.11.7+local"`,
	`python_version == "3.11" or`,
	`python_version`,
	`python_version >= `,
	`python_version >= 3.8`,
	`python_version =! "3.8"`,
	`python_version >= "3.8`,
	`(python_version >= "3.8"`,
	`python_version >= "3.8")`,
	`python_version not  in "3.8"`,
	`python_version notin "3.8"`,
	`foo == "bar"`,
	`python_versionx == "3"`,
	`python_version == "3" and`,
	`and python_version == "3"`,
	`()`,
	`"a" == "b"`,
	`python_version == "3"; extra == "a"`,
	`python_version=="3"orextra=="a"`,
	`python_version == "3" or extra == "a"`,
	`python_version == "3" \n`,
	`extra == "a" or extra == "b"`,
	`extra in "a b"`,
	`platform_release == "6.1.0-18-amd64"`,
}

func TestOracle(t *testing.T) {
	ms := append([]string(nil), oracleMarkers...)
	for _, rd := range testdist.InstalledRequiresDist(t) {
		if _, m, ok := strings.Cut(rd, ";"); ok {
			ms = append(ms, m)
		}
	}
	res := runOracle(t, ms, oracleEnvs)
	evaluated, compared := 0, 0
	for i, s := range ms {
		m, err := Parse(s)
		want := res[i]
		if (err == nil) != want.OK {
			t.Errorf("Parse(%q): err=%v, packaging ok=%v (%s)", s, err, want.OK, want.Err)
			continue
		}
		if err != nil {
			continue
		}
		// packaging normalizes only the first extra literal and may drop the
		// parentheses of a doubled group; compare strings where it is exact.
		if !strings.Contains(s, "extra") && !strings.Contains(s, "((") && m.String() != want.Str {
			t.Errorf("Parse(%q).String() = %q, packaging %q", s, m.String(), want.Str)
		}
		compared++
		for j, env := range oracleEnvs {
			if want.Evals[j] == nil {
				continue // packaging raises (e.g. a non-version against a version)
			}
			evaluated++
			if got := m.Evaluate(env); got != *want.Evals[j] {
				t.Errorf("Parse(%q).Evaluate(env %d) = %v, packaging %v", s, j, got, *want.Evals[j])
			}
		}
	}
	t.Logf("%d markers (%d valid) compared, %d evaluations", len(ms), compared, evaluated)
	if compared < 50 {
		t.Errorf("only %d valid markers compared", compared)
	}
}
