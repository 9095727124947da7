package resolver

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The examples of the PubGrub documentation (dart-lang/pub, doc/solver.md), with ^X.Y.Z
// written as >=X.Y.Z,<X+1.
func TestPubGrubExamples(t *testing.T) {
	type pkg struct {
		name, version string
		deps          []string
	}
	tests := []struct {
		name    string
		root    []string
		index   []pkg
		want    string
		wantErr []string
	}{
		{
			name: "no conflicts",
			root: []string{"foo>=1.0.0,<2"},
			index: []pkg{
				{"foo", "1.0.0", []string{"bar>=1.0.0,<2"}},
				{"bar", "1.0.0", nil}, {"bar", "2.0.0", nil},
			},
			want: "bar==1.0.0 foo==1.0.0",
		},
		{
			name: "avoiding conflict during decision making",
			root: []string{"foo>=1.0.0,<2", "bar>=1.0.0,<2"},
			index: []pkg{
				{"foo", "1.1.0", []string{"bar>=2.0.0,<3"}}, {"foo", "1.0.0", nil},
				{"bar", "1.0.0", nil}, {"bar", "1.1.0", nil}, {"bar", "2.0.0", nil},
			},
			want: "bar==1.1.0 foo==1.0.0",
		},
		{
			name: "performing conflict resolution",
			root: []string{"foo>=1.0.0"},
			index: []pkg{
				{"foo", "2.0.0", []string{"bar>=1.0.0,<2"}}, {"foo", "1.0.0", nil},
				{"bar", "1.0.0", []string{"foo>=1.0.0,<2"}},
			},
			want: "foo==1.0.0",
		},
		{
			name: "conflict resolution with a partial satisfier",
			root: []string{"foo>=1.0.0,<2", "target>=2.0.0,<3"},
			index: []pkg{
				{"foo", "1.1.0", []string{"left>=1.0.0,<2", "right>=1.0.0,<2"}}, {"foo", "1.0.0", nil},
				{"left", "1.0.0", []string{"shared>=1.0.0"}},
				{"right", "1.0.0", []string{"shared<2.0.0"}},
				{"shared", "2.0.0", nil}, {"shared", "1.0.0", []string{"target>=1.0.0,<2"}},
				{"target", "2.0.0", nil}, {"target", "1.0.0", nil},
			},
			want: "foo==1.0.0 target==2.0.0",
		},
		{
			name: "linear error reporting",
			root: []string{"foo>=1.0.0,<2", "baz>=1.0.0,<2"},
			index: []pkg{
				{"foo", "1.0.0", []string{"bar>=2.0.0,<3"}},
				{"bar", "2.0.0", []string{"baz>=3.0.0,<4"}},
				{"baz", "1.0.0", nil}, {"baz", "3.0.0", nil},
			},
			wantErr: []string{"foo 1.0.0 requires bar<3,>=2.0.0", "bar 2.0.0 requires baz<4,>=3.0.0",
				"foo<2,>=1.0.0 and baz<2,>=1.0.0 cannot be installed together"},
		},
		{
			name: "branching error reporting",
			root: []string{"foo>=1.0.0,<2"},
			index: []pkg{
				{"foo", "1.0.0", []string{"a>=1.0.0,<2", "b>=1.0.0,<2"}},
				{"foo", "1.1.0", []string{"x>=1.0.0,<2", "y>=1.0.0,<2"}},
				{"a", "1.0.0", []string{"b>=2.0.0,<3"}},
				{"b", "1.0.0", nil}, {"b", "2.0.0", nil},
				{"x", "1.0.0", []string{"y>=2.0.0,<3"}},
				{"y", "1.0.0", nil}, {"y", "2.0.0", nil},
			},
			wantErr: []string{"a 1.0.0 requires b<3,>=2.0.0", "x 1.0.0 requires y<3,>=2.0.0",
				"foo 1.0.0 requires", "foo 1.1.0 requires", "foo<2,>=1.0.0 cannot be installed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMem()
			for _, p := range tt.index {
				m.add(p.name, p.version, p.deps...)
			}
			res, err := Resolve(context.Background(), m, baseRequest(tt.root...))
			if tt.wantErr != nil {
				var ce *ConflictError
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want a conflict", err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("explanation lacks %q:\n%s", w, err)
					}
				}
				t.Logf("%s", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := pins(res); got != tt.want {
				t.Errorf("pins = %s, want %s", got, tt.want)
			}
		})
	}
}
