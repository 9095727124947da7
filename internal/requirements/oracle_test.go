package requirements

import (
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"

	"github.com/pydepot/pydepot/internal/versions"
)

type oracleReq struct {
	OK     bool     `json:"ok"`
	Err    string   `json:"err"`
	Name   string   `json:"name"`
	Extras []string `json:"extras"`
	Specs  []string `json:"specs"`
	URL    string   `json:"url"`
	Marker string   `json:"marker"`
}

func runOracle(t *testing.T, reqs []string) []oracleReq {
	t.Helper()
	var res []oracleReq
	testdist.RunPython(t, testdist.PackagingOracle(t), "testdata/oracle.py", reqs, &res)
	if len(res) != len(reqs) {
		t.Fatalf("oracle returned %d results for %d inputs", len(res), len(reqs))
	}
	return res
}

var oracleInputs = []string{
	`requests`,
	`requests[socks]>=2; python_version>"3.7"`,
	`requests [security , tests] >= 2.8.1, == 2.8.* ; python_version < "2.7"`,
	`name (>=1.0,<2)`,
	`name(>=1.0)`,
	`name ( >= 1.0 , < 2 ) ; os_name == "nt"`,
	`name>=1.0,<2`,
	`name >= 1.0 , < 2`,
	`name==1.0.*`,
	`name!=1.0.*`,
	`name>=1.0.*`,
	`name<1.0+local`,
	`name==1.0+local`,
	`name~=1.0`,
	`name~=1`,
	`name===foo`,
	`name===`,
	`name==v1.0`,
	`name==1.0-1`,
	`name==1.0.post1.dev2`,
	`name==1!2.0a1`,
	`name>=1.0a`,
	`name>=1.0 <2`,
	`name @ https://example.com/name-1.0.whl`,
	`name@https://example.com/name-1.0.whl`,
	`name[x] @ https://example.com/name-1.0.whl ; python_version >= "3"`,
	`name @ https://example.com/name-1.0.whl;python_version>="3"`,
	`name @ https://example.com/name-1.0.whl   `,
	`name @ file:///tmp/x.whl`,
	`name @ git+https://github.com/x/y@v1.0#egg=name`,
	`name @`,
	`name @ url foo`,
	`Name.With-Mixed_Chars`,
	`a`,
	`a-`,
	`-a`,
	`a_`,
	`_a`,
	`a.b.c`,
	`1name`,
	`name[]`,
	`name[ ]`,
	`name[a b]`,
	`name[a,]`,
	`name[a`,
	`name[a-b.c_d]`,
	`name[A,a]`,
	`name;`,
	`name; `,
	`name ;os_name=="nt"`,
	`name; os_name=="nt" and`,
	`name (>=1.0`,
	`name >=1.0)`,
	`name ==`,
	`name = 1.0`,
	`name 1.0`,
	`name>=1.0; python_version>"3" extra`,
	` name `,
	"\tname\t",
	`name,`,
	`nameé`,
	``,
	`   `,
	`name>=1.0,`,
	`name>=1.0,,<2`,
	`name(>=1.0);os_name=="nt"`,
	`name (==1.0.* , !=1.0.5)`,
	`name>=1.0.0-rc.1`,
	`name==1.0.0.RC1`,
	`name>=1.0;extra=="Foo"`,
	`zope.interface>=5`,
}

// deliberate lists inputs packaging accepts and pydepot rejects on purpose.
var deliberate = map[string]bool{
	"name===": true, // "===" with no version at all
}

func sortedCanonical(t *testing.T, clauses []string) []string {
	var out []string
	for _, c := range clauses {
		sp, err := versions.ParseSpecifier(c)
		if err != nil {
			t.Errorf("versions.ParseSpecifier(%q) from packaging: %v", c, err)
			continue
		}
		out = append(out, sp.String())
	}
	slices.Sort(out)
	return out
}

func TestOracle(t *testing.T) {
	inputs := append(append([]string(nil), oracleInputs...), testdist.InstalledRequiresDist(t)...)
	res := runOracle(t, inputs)
	valid := 0
	for i, s := range inputs {
		want := res[i]
		r, err := Parse(s)
		if deliberate[s] {
			if err == nil {
				t.Errorf("Parse(%q) succeeded; it is rejected on purpose", s)
			}
			continue
		}
		if (err == nil) != want.OK {
			t.Errorf("Parse(%q): err=%v, packaging ok=%v %s", s, err, want.OK, want.Err)
			continue
		}
		if err != nil {
			continue
		}
		valid++
		ex := slices.Clone(r.Extras)
		slices.Sort(ex)
		var specs []string
		for _, sp := range r.Specifiers {
			specs = append(specs, sp.String())
		}
		slices.Sort(specs)
		switch {
		case r.Name != want.Name:
			t.Errorf("Parse(%q).Name = %q, packaging %q", s, r.Name, want.Name)
		case !slices.Equal(ex, want.Extras):
			t.Errorf("Parse(%q).Extras = %q, packaging %q", s, ex, want.Extras)
		case !slices.Equal(specs, sortedCanonical(t, want.Specs)):
			t.Errorf("Parse(%q).Specifiers = %q, packaging %q", s, specs, want.Specs)
		case r.URL != want.URL:
			t.Errorf("Parse(%q).URL = %q, packaging %q", s, r.URL, want.URL)
		case !strings.Contains(want.Marker, "extra") && r.Marker.String() != want.Marker:
			t.Errorf("Parse(%q).Marker = %q, packaging %q", s, r.Marker.String(), want.Marker)
		}
		// The canonical form parses back to the same requirement.
		r2, err := Parse(r.String())
		if err != nil {
			t.Errorf("Parse(%q).String() = %q does not parse: %v", s, r.String(), err)
		} else if r2.String() != r.String() {
			t.Errorf("round trip of %q: %q then %q", s, r.String(), r2.String())
		}
	}
	t.Logf("%d inputs, %d valid", len(inputs), valid)
}
