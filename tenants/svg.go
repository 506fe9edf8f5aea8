package tenants

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
)

// The namespaces an SVG logo may use.
const (
	nsSVG   = "http://www.w3.org/2000/svg"
	nsXLink = "http://www.w3.org/1999/xlink"
	nsXML   = "http://www.w3.org/XML/1998/namespace"
)

// svgElements are the SVG elements a logo may hold: shapes, text, paint
// servers, grouping and reuse. Nothing that runs script, embeds another
// document or loads a resource (script, foreignObject, image, a, animate,
// set, iframe…).
var svgElements = setOf("svg", "g", "defs", "title", "desc", "metadata", "symbol", "use", "path", "rect", "circle",
	"ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath", "linearGradient", "radialGradient", "stop",
	"pattern", "clipPath", "mask", "style", "filter", "feGaussianBlur", "feOffset", "feBlend", "feColorMatrix",
	"feComposite", "feFlood", "feMerge", "feMergeNode", "feMorphology", "feDropShadow")

// svgAttributes are the attributes a logo's elements may carry:
// geometry, presentation and paint. No event handler, no URL but a
// "#fragment" reference (href, checked apart).
var svgAttributes = setOf("id", "class", "style", "version", "baseProfile", "width", "height", "viewBox",
	"preserveAspectRatio", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "d",
	"points", "pathLength", "transform", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
	"stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset",
	"stroke-opacity", "opacity", "color", "display", "visibility", "overflow", "clip-path", "clip-rule", "mask",
	"filter", "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod",
	"patternUnits", "patternContentUnits", "patternTransform", "maskUnits", "maskContentUnits", "clipPathUnits",
	"filterUnits", "primitiveUnits", "font-family", "font-size", "font-weight", "font-style", "font-variant",
	"text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing",
	"text-decoration", "writing-mode", "dx", "dy", "rotate", "lengthAdjust", "textLength", "startOffset",
	"vector-effect", "paint-order", "shape-rendering", "text-rendering", "color-interpolation",
	"color-interpolation-filters", "flood-color", "flood-opacity", "in", "in2", "result", "stdDeviation", "mode",
	"type", "values", "operator", "k1", "k2", "k3", "k4", "radius", "isolation", "mix-blend-mode", "media")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// cssUnsafe matches style text that could load a resource or hide from
// this check: @import, url() other than url(#fragment), escapes, old IE
// expressions and behaviours, and markup.
var cssUnsafe = regexp.MustCompile(`(?i)@import|@font-face|url\s*\(\s*["']?\s*[^"'#\s)]|\\|expression\s*\(|behavior|-moz-binding|javascript:|<`)

// errSVGUnsafe is an SVG logo outside the allow-lists.
var errSVGUnsafe = errors.New("tenants: svg outside the allow-list")

// checkSVG parses an SVG document with a real XML parser and accepts it
// only when every part of it is on the allow-lists: an svg root in the SVG
// namespace, allowed elements and attributes only, in the SVG, XLink and
// XML namespaces only, href to "#fragments" only, styles without URLs or
// imports, and no DOCTYPE, entity or processing instruction but the XML
// declaration. It reports what it refused, for logs; users see one message.
func checkSVG(doc []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.Entity = nil // only XML's five predefined entities
	depth, inStyle, sawRoot := 0, false, false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if !sawRoot || depth != 0 {
				return "an incomplete document", errSVGUnsafe
			}
			return "", nil
		}
		if err != nil {
			return "malformed XML: " + err.Error(), errSVGUnsafe
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 && (sawRoot || t.Name.Local != "svg") {
				return "a root other than one svg element", errSVGUnsafe
			}
			sawRoot = true
			if t.Name.Space != nsSVG || !svgElements[t.Name.Local] {
				return "element " + qualified(t.Name), errSVGUnsafe
			}
			for _, a := range t.Attr {
				if why, ok := svgAttributeAllowed(a); !ok {
					return "attribute " + qualified(a.Name) + " on " + t.Name.Local + why, errSVGUnsafe
				}
			}
			depth++
			inStyle = t.Name.Local == "style"
		case xml.EndElement:
			depth--
			inStyle = false
		case xml.CharData:
			if inStyle && cssUnsafe.Match(t) {
				return "a style sheet with a URL or an import", errSVGUnsafe
			}
		case xml.Comment:
		case xml.ProcInst:
			if t.Target != "xml" || sawRoot {
				return "processing instruction " + t.Target, errSVGUnsafe
			}
		case xml.Directive:
			return "a DOCTYPE or entity declaration", errSVGUnsafe
		}
	}
}

// svgAttributeAllowed says whether attribute a may stay, and if not why.
func svgAttributeAllowed(a xml.Attr) (string, bool) {
	switch {
	case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
		// Namespace declarations: only the SVG and XLink ones.
		if a.Value != nsSVG && a.Value != nsXLink {
			return " declaring namespace " + a.Value, false
		}
		return "", true
	case a.Name.Local == "href" && (a.Name.Space == "" || a.Name.Space == nsXLink):
		if !strings.HasPrefix(strings.TrimSpace(a.Value), "#") {
			return " pointing outside the document", false
		}
		return "", true
	case a.Name.Space == nsXML || a.Name.Space == "xml":
		return "", a.Name.Local == "space" || a.Name.Local == "lang"
	case a.Name.Space != "":
		return "", false
	case !svgAttributes[a.Name.Local]:
		return "", false
	case cssUnsafe.MatchString(a.Value):
		return " with a URL or an import", false
	}
	return "", true
}

// qualified names an element or attribute with its namespace, for logs.
func qualified(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}
