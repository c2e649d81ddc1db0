package htmlreport

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var pageTemplate string

//go:embed report.css
var pageCSS string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":      Num,
	"share":    Share,
	"plural":   plural,
	"utc":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"anchor":   anchor,
	"bar":      bar,
	"codeHelp": CodeHelp,
	"add":      func(a, b int) int { return a + b },
	"counts": func(key, unit, caption string, rows []Count) countsTable {
		return countsTable{key, unit, caption, rows}
	},
}).Parse(pageTemplate))

type countsTable struct {
	Key, Unit, Caption string
	Rows               []Count
}

// view is what the template reads.
type view struct {
	R              *Report
	CSS            template.CSS
	Segments       []segment
	ChartText      string
	OpenAccounts   int
	ReasonRequires string
	MaxListed      int
	MaxBlockers    int
	ListedOpen     int  // open roles listed one by one
	MoreOpen       bool // some open roles are not listed
}

type segment struct {
	Label, Pattern, Share string
	N                     int
	X, W                  string
}

// Render writes the page for r. Nothing is written when the template fails.
func Render(w io.Writer, r *Report) error {
	v := view{R: r, CSS: template.CSS(pageCSS), ReasonRequires: ReasonRequires,
		MaxListed: MaxListedOpenRoles, MaxBlockers: MaxBlockers}
	for _, a := range r.Accounts {
		if a.Open > 0 {
			v.OpenAccounts++
		}
		for _, g := range a.Groups {
			v.ListedOpen += g.Shown
			v.MoreOpen = v.MoreOpen || g.MoreRoles() > 0
		}
	}
	v.Segments, v.ChartText = segments(r.Total)
	var b bytes.Buffer
	if err := page.Execute(&b, v); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func segments(t Tally) ([]segment, string) {
	parts := []segment{
		{Label: "Require", Pattern: "p-req", N: t.Requiring},
		{Label: "Allow only", Pattern: "p-alw", N: t.Allowing},
		{Label: "Exempt", Pattern: "p-ex", N: t.Exempt},
		{Label: "Open", Pattern: "p-open", N: t.Open},
	}
	var text []string
	x := 0.0
	for i := range parts {
		p := &parts[i]
		p.Share = Share(p.N, t.Judged)
		w := 0.0
		if t.Judged > 0 {
			w = 1000 * float64(p.N) / float64(t.Judged)
		}
		p.X, p.W = svgNum(x), svgNum(w)
		x += w
		text = append(text, fmt.Sprintf("%s: %s (%s)", p.Label, Num(p.N), p.Share))
	}
	return parts, fmt.Sprintf("Of %s judged: %s.", plural(t.Judged, "role"), strings.Join(text, "; "))
}

// bar is an account's share chart: decorative (aria-hidden), since the row says the same in text.
func bar(t Tally) template.HTML {
	if t.Judged == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<svg class="mb" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">`)
	x := 0.0
	for _, p := range []struct {
		n    int
		fill string
	}{{t.Requiring, "#1a7f37"}, {t.Allowing, "#9a6700"}, {t.Exempt, "#aab3bc"}, {t.Open, "#cf222e"}} {
		if p.n == 0 {
			continue
		}
		w := 100 * float64(p.n) / float64(t.Judged)
		fmt.Fprintf(&b, `<rect x="%s" width="%s" height="10" fill="%s"/>`, svgNum(x), svgNum(w), p.fill)
		x += w
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // only numbers and constant colours
}

// svgNum formats an SVG coordinate with at most two decimals.
func svgNum(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" || s == "-" {
		return "0"
	}
	return s
}

// anchor is the id of an account's open-roles section.
func anchor(id string) string {
	if id == "" {
		return "a-unknown"
	}
	return "a-" + id
}

// Num formats n with thousands separators: 12,345.
func Num(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Share formats n/d as a percentage with one decimal that never rounds a part to the whole or
// to nothing: 1 of 10,000 is "<0.1%", 9,999 of 10,000 ">99.9%". Nothing judged: "n/a".
func Share(n, d int) string {
	switch {
	case d <= 0:
		return "n/a"
	case n == 0:
		return "0%"
	case n == d:
		return "100%"
	}
	p := 100 * float64(n) / float64(d)
	s := strconv.FormatFloat(p, 'f', 1, 64)
	switch s {
	case "0.0":
		return "<0.1%"
	case "100.0":
		return ">99.9%"
	}
	return s + "%"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return Num(n) + " " + unit + "s"
}
