package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/bot"
)

// commandsFake keeps an application's commands per scope, as Discord's
// REST API lists and deletes them.
type commandsFake struct {
	mu     sync.Mutex
	scopes map[string][]map[string]string // path of the list -> commands
	auth   []string
}

func (f *commandsFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	path := strings.TrimPrefix(r.URL.Path, "/api/v9")
	switch r.Method {
	case http.MethodGet:
		if _, ok := f.scopes[path]; !ok {
			break
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(append([]map[string]string{}, f.scopes[path]...))
		return
	case http.MethodDelete:
		i := strings.LastIndex(path, "/")
		list, id := path[:i], path[i+1:]
		for j, c := range f.scopes[list] {
			if c["id"] == id {
				f.scopes[list] = append(f.scopes[list][:j], f.scopes[list][j+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
	}
	http.NotFound(w, r)
}

func (f *commandsFake) names(list string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n []string
	for _, c := range f.scopes[list] {
		n = append(n, c["name"])
	}
	return strings.Join(n, ",")
}

func TestUnregister(t *testing.T) {
	const global, guild = "/applications/app1/commands", "/applications/app1/guilds/g7/commands"
	f := &commandsFake{scopes: map[string][]map[string]string{
		global: {{"id": "1", "name": "ask"}, {"id": "2", "name": "brief"}, {"id": "3", "name": "subscribe"}},
		guild:  {{"id": "4", "name": "help"}, {"id": "5", "name": "brief"}},
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	a, err := New(Options{BotToken: "t", AppID: "app1", APIURL: srv.URL + "/api/v9/", Bot: bot.New(&fakeSearcher{}, bot.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	removed, err := a.Unregister(ctx, "", false)
	if err != nil || strings.Join(removed, ",") != "ask,subscribe" || f.names(global) != "brief" {
		t.Fatalf("stale global: removed %v, %v; left %s", removed, err, f.names(global))
	}
	if f.names(guild) != "help,brief" {
		t.Fatalf("the guild's commands were touched: %s", f.names(guild))
	}
	removed, err = a.Unregister(ctx, "g7", true)
	if err != nil || strings.Join(removed, ",") != "help,brief" || f.names(guild) != "" {
		t.Fatalf("all in guild: removed %v, %v; left %s", removed, err, f.names(guild))
	}
	for _, h := range f.auth {
		if h != "Bot t" {
			t.Fatalf("authorization %q", h)
		}
	}
	// A scope Discord refuses is an error naming no URL (it would hold ids).
	bad, _ := New(Options{BotToken: "t", AppID: "nope", APIURL: srv.URL + "/api/v9/", Bot: bot.New(&fakeSearcher{}, bot.Options{})})
	if _, err := bad.Unregister(ctx, "", false); err == nil || strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("unknown application: %v", err)
	}
}
