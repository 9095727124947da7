package analyze

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testserver"
)

// TestAgainstPydepotServer maps imports through a real pydepot server that stores
// Debian's wheels of pip, setuptools and wheel.
func TestAgainstPydepotServer(t *testing.T) {
	ctx := context.Background()
	wheels, _ := filepath.Glob("/usr/share/python-wheels/*.whl")
	if len(wheels) < 3 {
		t.Fatalf("want the pip, setuptools and wheel wheels in /usr/share/python-wheels, found %v", wheels)
	}
	srv := testserver.Start(t, testserver.Options{Setup: testserver.UploadFiles("main", wheels...)})

	for _, u := range []string{srv.URL, srv.URL + "/main/simple/"} {
		ix, err := NewHTTPIndex(u, "", srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		// _distutils_hack is in no table: only the index knows setuptools provides it.
		got, err := Run(ctx, Options{Sources: []string{"-"}, Python: "3.11", Index: ix,
			Stdin: strings.NewReader("import _distutils_hack\nfrom pip._internal import main\nimport wheel.bdist_wheel\nimport nowhere_to_be_found\n")})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"nowhere_to_be_found", "pip", "setuptools", "wheel"}; !reflect.DeepEqual(got.Requirements, want) {
			t.Errorf("%s: requirements = %v, want %v", u, got.Requirements, want)
		}
		if want := []string{"nowhere_to_be_found"}; !reflect.DeepEqual(got.Unresolved, want) {
			t.Errorf("%s: unresolved = %v, want %v", u, got.Unresolved, want)
		}
	}
}
