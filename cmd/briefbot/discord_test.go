package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestDiscordRegisterAndUnregister drives both commands against a fake of
// Discord's command endpoints: register puts the one /brief command (with
// the digest subcommands), unregister removes the stale top-level commands
// of an older version and leaves /brief, --all removes it too.
func TestDiscordRegisterAndUnregister(t *testing.T) {
	var mu sync.Mutex
	cmds := []map[string]any{{"id": "1", "name": "ask"}, {"id": "2", "name": "subscribe"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/api/v9/applications/app1/guilds/g1/commands" && !strings.HasPrefix(r.URL.Path, "/api/v9/applications/app1/guilds/g1/commands/") {
			http.NotFound(w, r)
			return
		}
		switch r.Method {
		case http.MethodPut:
			var put []map[string]any
			if err := json.NewDecoder(r.Body).Decode(&put); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			for i, c := range put {
				c["id"] = "put" + string(rune('a'+i))
				cmds = append(cmds, c)
			}
			json.NewEncoder(w).Encode(put)
		case http.MethodGet:
			json.NewEncoder(w).Encode(cmds)
		case http.MethodDelete:
			id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			for i, c := range cmds {
				if c["id"] == id {
					cmds = append(cmds[:i], cmds[i+1:]...)
					w.WriteHeader(http.StatusNoContent)
					return
				}
			}
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	env := map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "app1", "DISCORD_GUILD_ID": "g1", "DISCORD_API_URL": srv.URL + "/api/v9/"}
	names := func() string {
		mu.Lock()
		defer mu.Unlock()
		var n []string
		for _, c := range cmds {
			n = append(n, c["name"].(string))
		}
		return strings.Join(n, ",")
	}
	if code, out, errs := runCLI(t, env, "discord", "register"); code != 0 || !strings.Contains(out, "in guild g1") {
		t.Fatalf("register: %d %q %q", code, out, errs)
	}
	mu.Lock()
	brief := cmds[len(cmds)-1]
	mu.Unlock()
	var subs []string
	for _, o := range brief["options"].([]any) {
		subs = append(subs, o.(map[string]any)["name"].(string))
	}
	if brief["name"] != "brief" || strings.Join(subs, ",") != "ask,sources,help,digest,subscribe,unsubscribe,settings" {
		t.Fatalf("registered %v with subcommands %v", brief["name"], subs)
	}
	code, out, errs := runCLI(t, env, "discord", "unregister")
	if code != 0 || names() != "brief" || !strings.Contains(out, "removed /ask in guild g1") || !strings.Contains(out, "removed /subscribe") {
		t.Fatalf("unregister: %d %q %q; left %s", code, out, errs, names())
	}
	if code, out, _ = runCLI(t, env, "discord", "unregister"); code != 0 || !strings.Contains(out, "nothing to remove in guild g1") {
		t.Fatalf("second unregister: %d %q", code, out)
	}
	if code, _, _ = runCLI(t, env, "discord", "unregister", "--all"); code != 0 || names() != "" {
		t.Fatalf("unregister --all: %d; left %s", code, names())
	}
	if code, _, errs = runCLI(t, env, "discord", "unregister", "--global", "--guild", "g2"); code != 2 || !strings.Contains(errs, "one") {
		t.Fatalf("both scopes: %d %q", code, errs)
	}
}
