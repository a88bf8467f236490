package app_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gdqjp/qj/app/apptest"
)

func TestReadyz(t *testing.T) {
	tests := []struct {
		name   string
		breakf func(e *apptest.Env)
		status int
		want   string
	}{
		{"both answer", func(*apptest.Env) {}, 200, `"status":"ready"`},
		{"store down", func(e *apptest.Env) { e.App.Store.Close() }, 503, `"store":`},
		{"redis down", func(e *apptest.Env) { e.App.Redis.RDB.Close() }, 503, `"redis":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := apptest.NewWith(t, apptest.Config(t), false)
			tt.breakf(e)
			r := e.Do(httptest.NewRequest("GET", "/readyz", nil))
			if r.Status != tt.status || !strings.Contains(r.Body, tt.want) {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if r := e.Do(httptest.NewRequest("GET", "/healthz", nil)); r.Status != 200 {
				t.Fatalf("healthz while not ready: %d", r.Status)
			}
		})
	}
}
