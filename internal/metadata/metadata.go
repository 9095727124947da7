// Package metadata reads core metadata 1.0 to 2.4 (a wheel's METADATA, an sdist's PKG-INFO),
// which is written as RFC 822 email headers with an optional body as the description.
package metadata

import "github.com/pydepot/pydepot/internal/requirements"

// Metadata holds the fields pydepot uses. Multi-use fields are slices in file order.
type Metadata struct {
	MetadataVersion        string
	Name                   string
	Version                string // canonical PEP 440 form
	Summary                string
	Description            string
	DescriptionContentType string
	Keywords               string
	HomePage               string
	DownloadURL            string
	Author                 string
	AuthorEmail            string
	Maintainer             string
	MaintainerEmail        string
	License                string
	LicenseExpression      string
	LicenseFiles           []string
	Classifiers            []string
	Platforms              []string
	RequiresDist           []string
	RequiresPython         string
	RequiresExternal       []string
	ProjectURLs            []string
	ProvidesExtra          []string
	ProvidesDist           []string
	ObsoletesDist          []string
	Dynamic                []string
	ImportNames            []string // PEP 794 Import-Name
	ImportNamespaces       []string // PEP 794 Import-Namespace
}

// Parse parses METADATA/PKG-INFO bytes. It requires Metadata-Version, a valid Name and a
// valid Version; errors wrap errs.ErrInvalid and name the field.
func Parse(data []byte) (*Metadata, error) { panic("unimplemented") }

// Requirements parses RequiresDist.
func (m *Metadata) Requirements() ([]requirements.Requirement, error) { panic("unimplemented") }
