package versions

// MarshalText encodes v in canonical form, so that versions are strings in JSON and
// TOML; the zero Version encodes as "".
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses a version; "" gives the zero Version. Errors wrap errs.ErrInvalid.
func (v *Version) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*v = Version{}
		return nil
	}
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// MarshalText encodes the set as its String.
func (ss SpecifierSet) MarshalText() ([]byte, error) { return []byte(ss.String()), nil }

// UnmarshalText parses a set with ParseSpecifiers.
func (ss *SpecifierSet) UnmarshalText(b []byte) error {
	p, err := ParseSpecifiers(string(b))
	if err != nil {
		return err
	}
	*ss = p
	return nil
}
