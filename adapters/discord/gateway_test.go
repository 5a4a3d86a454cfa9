package discord

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
)

// gatewayRun starts a gateway-mode adapter (no public key) against rest and
// returns a function that stops it and checks that Run returned nil.
func gatewayRun(t *testing.T, rest *restFake, search bot.Searcher, mutate func(*Options)) func() {
	t.Helper()
	opts := Options{
		BotToken: "test-token", AppID: "app1", APIURL: rest.APIURL(),
		Bot: bot.New(search, bot.Options{}), Now: func() time.Time { return fixedNow },
	}
	if mutate != nil {
		mutate(&opts)
	}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.HTTPMode() {
		t.Fatal("no public key, yet HTTP mode")
	}
	a.backoffMin, a.backoffMax = 5*time.Millisecond, 20*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	stop := func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}
		case <-time.After(waitFor):
			t.Fatalf("Run did not return within %s of cancellation", waitFor)
		}
	}
	t.Cleanup(stop)
	return stop
}

func gatewayAsk(id string) map[string]any {
	return map[string]any{
		"id": id, "application_id": "app1", "type": 2, "token": "tok-" + id, "version": 1,
		"channel_id": "c1", "guild_id": "g1",
		"member": map[string]any{"user": map[string]any{"id": "u1", "username": "ann"}},
		"data": map[string]any{"id": "cmd-ask", "name": "ask", "type": 1, "options": []any{
			map[string]any{"name": "question", "type": 3, "value": "How many drones and missiles did Russia fire on Friday night?"},
		}},
	}
}

func (g *gatewayFake) nextIdentify() map[string]any {
	g.t.Helper()
	select {
	case id := <-g.identifies:
		return id
	case <-time.After(waitFor):
		g.t.Fatalf("no IDENTIFY within %s", waitFor)
		return nil
	}
}

func (g *gatewayFake) nextClosed() int {
	g.t.Helper()
	select {
	case n := <-g.closed:
		return n
	case <-time.After(waitFor):
		g.t.Fatalf("no gateway connection closed within %s", waitFor)
		return 0
	}
}

func TestGatewayAnswersInteraction(t *testing.T) {
	rest := newRESTFake(t)
	gw := newGatewayFake(t)
	rest.setGateway(gw.URL())
	stop := gatewayRun(t, rest, &fakeSearcher{result: droneResult}, nil)

	rest.next(http.MethodPut, "/applications/app1/commands")
	id := gw.nextIdentify()
	if id["token"] != "Bot test-token" {
		t.Fatalf("IDENTIFY token %v", id["token"])
	}
	conn := gw.nextReady()
	select {
	case <-gw.heartbeats:
	case <-time.After(waitFor):
		t.Fatal("no heartbeat")
	}
	if err := conn.dispatch("INTERACTION_CREATE", gatewayAsk("1000")); err != nil {
		t.Fatal(err)
	}
	cb := rest.next(http.MethodPost, "/interactions/1000/tok-1000/callback").JSON(t)
	if cb["type"] != float64(discordgo.InteractionResponseChannelMessageWithSource) {
		t.Fatalf("callback type %v, want 4", cb["type"])
	}
	assertDroneAnswer(t, cb["data"])

	stop()
	if n := gw.nextClosed(); n != conn.n {
		t.Fatalf("closed connection %d, want %d", n, conn.n)
	}
}

func TestGatewayOp7DuringIdentifyDoesNotHang(t *testing.T) {
	rest := newRESTFake(t)
	gw := newGatewayFake(t, 1) // the first connection gets op 7 instead of READY
	rest.setGateway(gw.URL())
	gatewayRun(t, rest, &fakeSearcher{result: droneResult}, func(o *Options) { o.OpenTimeout = 300 * time.Millisecond })

	gw.nextIdentify()
	if n := gw.nextClosed(); n != 1 {
		t.Fatalf("closed connection %d, want the stuck one (1)", n)
	}
	gw.nextIdentify()
	conn := gw.nextReady()
	if conn.n != 2 {
		t.Fatalf("ready on connection %d, want 2", conn.n)
	}
	if err := conn.dispatch("INTERACTION_CREATE", gatewayAsk("1100")); err != nil {
		t.Fatal(err)
	}
	assertDroneAnswer(t, rest.next(http.MethodPost, "/interactions/1100/tok-1100/callback").JSON(t)["data"])
}

func TestGatewayReconnectsAfterDrop(t *testing.T) {
	rest := newRESTFake(t)
	gw := newGatewayFake(t)
	rest.setGateway(gw.URL())
	gatewayRun(t, rest, &fakeSearcher{result: droneResult}, nil)

	first := gw.nextReady()
	first.ws.Close() // the gateway goes away
	second := gw.nextReady()
	if second.n == first.n {
		t.Fatal("no new connection after the drop")
	}
	if err := second.dispatch("INTERACTION_CREATE", gatewayAsk("1200")); err != nil {
		t.Fatal(err)
	}
	rest.next(http.MethodPost, "/interactions/1200/tok-1200/callback")
}

func TestGatewayUnreachableKeepsRetrying(t *testing.T) {
	rest := newRESTFake(t) // answers 404 to the gateway lookup
	stop := gatewayRun(t, rest, &fakeSearcher{result: droneResult}, nil)
	rest.next(http.MethodPut, "/applications/app1/commands")
	for i := 0; i < 3; i++ {
		rest.next(http.MethodGet, "/gateway")
	}
	stop()
}

// With Options.Gateway (a cluster: the leader only), the gateway is open
// exactly while the hook runs it: none before, closed when its context
// ends, opened again for the next term, and answering there.
func TestGatewayRunsOnlyThroughTheHook(t *testing.T) {
	rest := newRESTFake(t)
	gw := newGatewayFake(t)
	rest.setGateway(gw.URL())
	terms := make(chan context.Context)
	gatewayRun(t, rest, &fakeSearcher{result: droneResult}, func(o *Options) {
		o.Gateway = func(ctx context.Context, run func(context.Context)) {
			for {
				select {
				case <-ctx.Done():
					return
				case term := <-terms:
					run(term)
				}
			}
		}
	})
	rest.next(http.MethodPut, "/applications/app1/commands") // commands register on every replica
	if n := gw.conns.Load(); n != 0 {
		t.Fatalf("%d gateway connections before the first term", n)
	}
	term, end := context.WithCancel(context.Background())
	terms <- term
	first := gw.nextReady()
	end()
	select {
	case n := <-gw.closed:
		if n != first.n {
			t.Fatalf("connection %d closed, want %d", n, first.n)
		}
	case <-time.After(waitFor):
		t.Fatal("the gateway stayed open after its term ended")
	}
	term, end = context.WithCancel(context.Background())
	defer end()
	terms <- term
	second := gw.nextReady()
	if err := second.dispatch("INTERACTION_CREATE", gatewayAsk("1300")); err != nil {
		t.Fatal(err)
	}
	rest.next(http.MethodPost, "/interactions/1300/tok-1300/callback")
}
