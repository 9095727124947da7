package server

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

// PyPI's XML-RPC API, the part mirrors use: bandersnatch (its default api-method) lists
// the projects with list_packages_with_serial on its first run and asks
// changelog_since_serial(N) on the next ones, at POST <base>/pypi. The changelog has
// one entry per project changed after N ([name, "", 0, action, serial], action "update"
// or "remove" when the project has no files left), oldest first, at most
// index.MaxChangelog. Nothing else is served; other methods get an XML-RPC fault.
//
// The request is capped at maxXMLRPCBody bytes and parsed by encoding/xml, which expands
// no entity (a DTD is skipped, an entity it declares is an error) and bounds nesting,
// then checked: a methodCall of at most maxXMLRPCParams parameters, the serial an int.

const (
	maxXMLRPCBody   = 64 << 10
	maxXMLRPCParams = 4
)

type xmlrpcValue struct {
	Int    *string `xml:"int"`
	I4     *string `xml:"i4"`
	String *string `xml:"string"`
	Text   string  `xml:",chardata"` // a bare value is a string
}

type xmlrpcCall struct {
	XMLName xml.Name `xml:"methodCall"`
	Method  string   `xml:"methodName"`
	Params  []struct {
		Value xmlrpcValue `xml:"value"`
	} `xml:"params>param"`
}

// decodeXMLRPC decodes a call in UTF-8 or ASCII (a subset of it), which is what lxml
// declares by default (aiohttp-xmlrpc, bandersnatch's client, sends encoding='ASCII').
func decodeXMLRPC(body []byte, call *xmlrpcCall) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "ascii", "us-ascii":
			return r, nil
		}
		return nil, fmt.Errorf("encoding %q: only UTF-8 and ASCII are read", label)
	}
	return d.Decode(call)
}

// int returns an integer parameter.
func (v xmlrpcValue) int() (int64, bool) {
	s := v.Int
	if s == nil {
		s = v.I4
	}
	if s == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(*s), 10, 64)
	return n, err == nil
}

// xmlrpc answers POST <base>/pypi.
func (s *server) xmlrpc(w http.ResponseWriter, r *http.Request) error {
	dr := distOf(r)
	if !dr.d.Public {
		if err := s.authorize(r, index.ActionRead, dr.d.Repository); err != nil {
			return err
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxXMLRPCBody))
	if err != nil {
		return fmt.Errorf("XML-RPC request: %w", err)
	}
	var call xmlrpcCall
	if err := decodeXMLRPC(body, &call); err != nil {
		return fmt.Errorf("XML-RPC request: not a methodCall: %v: %w", err, errs.ErrInvalid)
	}
	if len(call.Params) > maxXMLRPCParams {
		return xmlrpcFault(w, fmt.Sprintf("%s: %d parameters, at most %d", call.Method, len(call.Params), maxXMLRPCParams))
	}
	switch call.Method {
	case "list_packages_with_serial":
		ps, _, err := s.api.Projects(r.Context(), dr.served())
		if err != nil {
			return err
		}
		var b bytes.Buffer
		b.WriteString("<struct>\n")
		for _, p := range ps {
			b.WriteString("<member><name>")
			xml.EscapeText(&b, []byte(displayName(p.DisplayName, p.Name)))
			fmt.Fprintf(&b, "</name><value><int>%d</int></value></member>\n", p.Serial)
		}
		b.WriteString("</struct>")
		return xmlrpcResult(w, b.Bytes())
	case "changelog_since_serial":
		var since int64
		ok := len(call.Params) == 1
		if ok {
			since, ok = call.Params[0].Value.int()
		}
		if !ok {
			return xmlrpcFault(w, "changelog_since_serial takes one int: the serial")
		}
		ps, err := s.api.ChangedSince(r.Context(), dr.served(), since)
		if err != nil {
			return err
		}
		// One entry per project changed since: its latest serial, oldest first.
		var b bytes.Buffer
		b.WriteString("<array><data>\n")
		for _, p := range ps {
			action := "update"
			if p.Removed {
				action = "remove"
			}
			b.WriteString("<value><array><data><value><string>")
			xml.EscapeText(&b, []byte(displayName(p.DisplayName, p.Name)))
			fmt.Fprintf(&b, "</string></value><value><string></string></value><value><int>0</int></value>"+
				"<value><string>%s</string></value><value><int>%d</int></value></data></array></value>\n", action, p.Serial)
		}
		b.WriteString("</data></array>")
		return xmlrpcResult(w, b.Bytes())
	}
	return xmlrpcFault(w, fmt.Sprintf("method %q is not served (list_packages_with_serial and changelog_since_serial are)", call.Method))
}

func xmlrpcResult(w http.ResponseWriter, value []byte) error {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?>` + "\n<methodResponse><params><param><value>")
	b.Write(value)
	b.WriteString("</value></param></params></methodResponse>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// xmlrpcFault answers a call the server does not serve as XML-RPC says: a fault in a
// 200 response.
func xmlrpcFault(w http.ResponseWriter, msg string) error {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?>` + "\n<methodResponse><fault><value><struct>" +
		"<member><name>faultCode</name><value><int>-32601</int></value></member>" +
		"<member><name>faultString</name><value><string>")
	xml.EscapeText(&b, []byte(msg))
	b.WriteString("</string></value></member></struct></value></fault></methodResponse>\n")
	_, err := w.Write(b.Bytes())
	return err
}
