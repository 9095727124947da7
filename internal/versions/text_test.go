package versions

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

func TestText(t *testing.T) {
	type doc struct {
		V    Version      `json:"v"`
		Zero Version      `json:"zero"`
		S    SpecifierSet `json:"s"`
	}
	in := doc{V: MustParse("1.0-Beta-2+X"), S: mustSet(t, "<2, >=1.0")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"v":"1.0b2+x","zero":"","s":"\u003c2,\u003e=1.0"}`; got != want {
		t.Fatalf("Marshal = %s, want %s", got, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.V.Compare(in.V) != 0 || !out.Zero.IsZero() || out.S.String() != in.S.String() {
		t.Fatalf("round trip: %+v", out)
	}
	if err := json.Unmarshal([]byte(`{"v":"x.y"}`), &out); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("bad version: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"s":"=>1"}`), &out); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("bad specifier: %v", err)
	}
}
