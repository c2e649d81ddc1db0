package template

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/emf"
)

// emittedMetric is one Metric* constant of the packages that write EMF lines.
type emittedMetric struct {
	pkg, constant string
	dimension     string // from the constant's comment "dimension X"; "" when it has none
}

// emittedMetrics reads the Metric* string constants of shared/guard and shared/sweep from their
// source (not a copy of the names), with the dimension their comment names.
func emittedMetrics(t *testing.T) map[string]emittedMetric {
	t.Helper()
	out := map[string]emittedMetric{}
	dimRe := regexp.MustCompile(`\bdimension (\w+)`)
	for _, pkg := range []string{"guard", "sweep"} {
		dir := filepath.Join("..", "..", "shared", pkg)
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range file.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if !strings.HasPrefix(name.Name, "Metric") || i >= len(vs.Values) {
							continue
						}
						lit, ok := vs.Values[i].(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							continue
						}
						v, _ := strconv.Unquote(lit.Value)
						m := emittedMetric{pkg: pkg, constant: name.Name}
						var comment string
						if vs.Comment != nil {
							comment = vs.Comment.Text()
						}
						if vs.Doc != nil {
							comment += vs.Doc.Text()
						}
						if d := dimRe.FindStringSubmatch(comment); d != nil && !strings.Contains(comment, "no dimension") {
							m.dimension = d[1]
						}
						out[v] = m
					}
				}
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("found only %d Metric* constants in shared/guard and shared/sweep: %v", len(out), out)
	}
	return out
}

// dashboardBody is GuardDashboard's DashboardBody after Fn::Sub, with the logical ids it names.
func dashboardBody(t *testing.T, tpl *expanded) (string, map[string]string) {
	t.Helper()
	d, ok := tpl.Resources["GuardDashboard"]
	if !ok || d.Type != "AWS::CloudWatch::Dashboard" {
		t.Fatalf("no GuardDashboard (AWS::CloudWatch::Dashboard) in the expanded template: %v", sortedKeys(tpl.Resources))
	}
	sub, ok := d.Properties["DashboardBody"].(map[string]any)["Fn::Sub"].(string)
	if !ok {
		t.Fatalf("DashboardBody is %#v; want !Sub of a string, so that it names the stack's resources", d.Properties["DashboardBody"])
	}
	refs := map[string]string{} // logical id -> the value put in its place
	var bad []string
	body := regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(sub, func(m string) string {
		name := m[2 : len(m)-1]
		switch name {
		case "AWS::Region":
			return testRegion
		case "AWS::StackName":
			return testStack
		case "AWS::AccountId":
			return testAccount
		case "AWS::Partition":
			return testPartition
		}
		id, _, _ := strings.Cut(name, ".")
		if _, ok := tpl.Resources[id]; !ok {
			bad = append(bad, name)
			return m
		}
		v := fmt.Sprintf("%s-%s-EXAMPLE", testStack, id)
		refs[id] = v
		return v
	})
	if len(bad) > 0 {
		t.Fatalf("DashboardBody names %v: no such resource or pseudo parameter", bad)
	}
	return body, refs
}

type dashboard struct {
	Widgets []struct {
		Type       string `json:"type"`
		X          *int   `json:"x"`
		Y          *int   `json:"y"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		Properties struct {
			Title   string  `json:"title"`
			Region  string  `json:"region"`
			Metrics [][]any `json:"metrics"`
		} `json:"properties"`
	} `json:"widgets"`
}

// metricRef is one metric a widget shows: a metric array, or a SEARCH expression.
type metricRef struct {
	namespace, name string
	dims            map[string]string // of a metric array
	searchDims      []string          // of a SEARCH schema {Namespace,dim...}; nil without a schema
	search          bool
	widget          string
}

var searchRe = regexp.MustCompile(`^SEARCH\('(\{[^}]*\})?\s*(.*?)',\s*'(\w+)',\s*(\d+)\)$`)

func metricRefs(t *testing.T, d dashboard) []metricRef {
	t.Helper()
	var out []metricRef
	for _, w := range d.Widgets {
		if w.Type != "metric" {
			continue
		}
		if w.Properties.Region != testRegion || len(w.Properties.Metrics) == 0 {
			t.Errorf("widget %q: region %q, %d metrics; want the stack's region and at least one metric", w.Properties.Title, w.Properties.Region, len(w.Properties.Metrics))
		}
		for _, line := range w.Properties.Metrics {
			if len(line) == 1 { // an expression
				obj, _ := line[0].(map[string]any)
				expr, _ := obj["expression"].(string)
				m := searchRe.FindStringSubmatch(expr)
				if m == nil {
					t.Errorf("widget %q: expression %q is not a SEARCH this test understands", w.Properties.Title, expr)
					continue
				}
				ref := metricRef{search: true, widget: w.Properties.Title}
				if m[1] != "" {
					parts := strings.Split(strings.Trim(m[1], "{}"), ",")
					ref.namespace, ref.searchDims = parts[0], parts[1:]
				}
				for _, term := range regexp.MustCompile(`(\w+)="([^"]*)"`).FindAllStringSubmatch(m[2], -1) {
					switch term[1] {
					case "MetricName":
						ref.name = term[2]
					case "Namespace":
						ref.namespace = term[2]
					default:
						t.Errorf("widget %q: SEARCH term %s= not understood", w.Properties.Title, term[1])
					}
				}
				if ref.namespace == "" || ref.name == "" {
					t.Errorf("widget %q: SEARCH %q does not pin both the namespace and the metric name", w.Properties.Title, expr)
				}
				out = append(out, ref)
				continue
			}
			var strs []string
			for _, e := range line {
				if s, ok := e.(string); ok {
					strs = append(strs, s)
				}
			}
			if len(strs) < 2 || len(strs)%2 != 0 {
				t.Errorf("widget %q: metric %v: want namespace, name and dimension name/value pairs", w.Properties.Title, line)
				continue
			}
			ref := metricRef{namespace: strs[0], name: strs[1], dims: map[string]string{}, widget: w.Properties.Title}
			for i := 2; i < len(strs); i += 2 {
				ref.dims[strs[i]] = strs[i+1]
			}
			out = append(out, ref)
		}
	}
	return out
}

// The dashboard body is valid JSON once CloudFormation substitutes the stack's names, every
// SourceIdentityGuard metric it shows is one the functions emit (with the dimension they emit
// it under), every AWS metric is about a resource of this stack of the right type, and every
// queue of the stack has its age of oldest message on the dashboard.
func TestDashboard(t *testing.T) {
	tpl := expand(t)
	body, refs := dashboardBody(t, tpl)
	var d dashboard
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("DashboardBody after substitution is not valid JSON: %v\n%s", err, body)
	}
	if len(d.Widgets) == 0 {
		t.Fatal("dashboard has no widgets")
	}
	for _, w := range d.Widgets {
		if w.X == nil || w.Y == nil || w.Width < 1 || *w.X+w.Width > 24 || w.Height < 1 {
			t.Errorf("widget %q: position x=%v y=%v width %d height %d off the 24-column grid", w.Properties.Title, w.X, w.Y, w.Width, w.Height)
		}
	}
	emitted := emittedMetrics(t)
	idOf := map[string]string{}
	for id, v := range refs {
		idOf[v] = id
	}
	// AWS metrics the dashboard may show, and the type of the resource their dimension names.
	awsMetrics := map[string]struct{ dim, typ string }{
		"AWS/Lambda Invocations":                     {"FunctionName", "AWS::Lambda::Function"},
		"AWS/Lambda Errors":                          {"FunctionName", "AWS::Lambda::Function"},
		"AWS/Lambda Throttles":                       {"FunctionName", "AWS::Lambda::Function"},
		"AWS/Lambda Duration":                        {"FunctionName", "AWS::Lambda::Function"},
		"AWS/Events Invocations":                     {"RuleName", "AWS::Events::Rule"},
		"AWS/Events FailedInvocations":               {"RuleName", "AWS::Events::Rule"},
		"AWS/SQS ApproximateAgeOfOldestMessage":      {"QueueName", "AWS::SQS::Queue"},
		"AWS/SQS ApproximateNumberOfMessagesVisible": {"QueueName", "AWS::SQS::Queue"},
	}
	shown := map[string]bool{}
	queueAge := map[string]bool{}
	for _, m := range metricRefs(t, d) {
		if m.namespace == emf.Namespace {
			e, ok := emitted[m.name]
			if !ok {
				t.Errorf("widget %q shows %s/%s, which no Metric* constant of shared/guard or shared/sweep names", m.widget, m.namespace, m.name)
				continue
			}
			shown[m.name] = true
			switch {
			case m.search && m.searchDims != nil && (len(m.searchDims) != 1 || m.searchDims[0] != e.dimension):
				t.Errorf("widget %q searches %s under dimensions %v; %s.%s is emitted with dimension %q", m.widget, m.name, m.searchDims, e.pkg, e.constant, e.dimension)
			case !m.search && len(m.dims) > 0:
				t.Errorf("widget %q pins dimensions %v of %s: pin none, or use a SEARCH", m.widget, m.dims, m.name)
			case !m.search && e.dimension != "":
				t.Errorf("widget %q shows %s without its dimension %q: it would find nothing; use a SEARCH", m.widget, m.name, e.dimension)
			}
			continue
		}
		want, ok := awsMetrics[m.namespace+" "+m.name]
		if !ok || m.search {
			t.Errorf("widget %q shows %s %s: not a metric this test knows AWS publishes for the stack's resources", m.widget, m.namespace, m.name)
			continue
		}
		v, ok := m.dims[want.dim]
		id := idOf[v]
		if !ok || len(m.dims) != 1 || id == "" || tpl.Resources[id].Type != want.typ {
			t.Errorf("widget %q: %s %s %v: want one dimension %s naming a %s of this stack", m.widget, m.namespace, m.name, m.dims, want.dim, want.typ)
		}
		if m.name == "ApproximateAgeOfOldestMessage" {
			queueAge[id] = true
		}
	}
	for _, name := range []string{"Decisions", "Errors", "PublishFailures", "SweepComplianceRatio", "SweepRoles", "SweepIncomplete"} {
		if !shown[name] {
			t.Errorf("the dashboard does not show %s", name)
		}
	}
	for id, r := range tpl.Resources {
		if r.Type == "AWS::SQS::Queue" && !queueAge[id] {
			t.Errorf("queue %s has no AWS/SQS ApproximateAgeOfOldestMessage line on the dashboard (add one to the queue widget of GuardDashboard)", id)
		}
	}
	for name, e := range emitted {
		if !shown[name] {
			t.Logf("not on the dashboard: %s (%s.%s)", name, e.pkg, e.constant)
		}
	}
}
