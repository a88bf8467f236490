package mpapi_test

import (
	"os"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/gdqjp/qj/app/apptest"
	mpapi "github.com/gdqjp/qj/miniprogram-api"
)

// TestOpenAPI_MatchesRoutes keeps openapi.yaml true: every mounted route is
// documented and every documented operation is mounted.
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if m == "parameters" || m == "summary" || m == "description" {
				continue
			}
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	e := apptest.New(t)
	var mounted []string
	for _, r := range e.App.HTTP.GetRoutes(true) {
		if r.Method == "HEAD" || !strings.HasPrefix(r.Path, mpapi.Prefix+"/") {
			continue
		}
		p := strings.TrimPrefix(r.Path, mpapi.Prefix)
		// Fiber writes /items/:id, OpenAPI /items/{id}.
		parts := strings.Split(p, "/")
		for i, s := range parts {
			if strings.HasPrefix(s, ":") {
				parts[i] = "{" + s[1:] + "}"
			}
		}
		mounted = append(mounted, r.Method+" "+strings.Join(parts, "/"))
	}
	sort.Strings(documented)
	sort.Strings(mounted)
	if strings.Join(documented, "\n") != strings.Join(mounted, "\n") {
		t.Fatalf("openapi.yaml and the router differ:\ndocumented:\n%s\nmounted:\n%s", strings.Join(documented, "\n"), strings.Join(mounted, "\n"))
	}
}
