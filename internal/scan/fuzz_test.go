package scan

import (
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/checkreport"
)

// FuzzScanFile: the rules never panic on any source, as setup.py, module or .pth, and
// every finding is well-formed and names the file.
func FuzzScanFile(f *testing.F) {
	for _, s := range []string{"", "exec(", "exec(b64decode(", "getattr(", "getattr(x, 'a')(", "__import__(')",
		"__import__('os').system(", "x = y = z", "with a as", "for in", "[::-1", "a." + strings.Repeat("b.", 50),
		strings.Repeat("exec(", 200), strings.Repeat("(", 500), "os.environ", "for k in os.environ:\n", "return",
		"class C(install):\n def run(self):\n  os.system('x')\n", "import\tos\n", "f'{os.environ}'", "env = dict(",
		"def f():\n return base64.b64decode(x)\nexec(f())\n", "s = socket.socket()\ns.send(open('~/.ssh/id_rsa'))\n"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, src string, setup bool) {
		rel := "m.py"
		if setup {
			rel = "setup.py"
		}
		for _, r := range []string{rel, "x.pth"} {
			for _, fd := range scanSource(r, src) {
				if fd.Task != checkreport.StepScan || fd.Severity.Rank() < 0 || fd.Kind == "" || !strings.HasPrefix(fd.Detail, r) {
					t.Fatalf("bad finding %+v", fd)
				}
			}
		}
	})
}
