package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/cluster/pgdb/pgdbtest"
)

// Cluster mode (issue 14): a feed followed by replica A is written to the
// corpus database, and replica C answers from its item within 5 s.
func TestClusterFeedAnsweredByOtherReplica(t *testing.T) {
	db := pgdbtest.New(t)
	ff := newFakeFeed(t, "Harbour News",
		feedItem{"bridge", "Harbour bridge reopens", "The Quillback harbour bridge reopened on Sunday after eleven weeks of repairs. Engineers replaced 412 cables."})
	// Feeds are polled by the leader only: A starts first and leads.
	envA := map[string]string{"BRIEFBOT_DATA": t.TempDir(), "BRIEFBOT_DATABASE_URL": db.URL, "BRIEFBOT_FEEDS": ff.url(), "BRIEFBOT_FEED_INTERVAL": "10m"}
	_, _, _, rounds := launchFeedServe(t, envA)
	waitRound(t, rounds, feedRound{Polled: 1, Added: 1})
	// The feed's state is in the database (the next leader continues it),
	// not in A's data directory.
	var state string
	if err := db.Pool.QueryRow(context.Background(), `SELECT state::text FROM feed_state`).Scan(&state); err != nil || !strings.Contains(state, ff.url()) {
		t.Fatalf("feed state in the database: %q %v", state, err)
	}
	if _, err := os.Stat(filepath.Join(envA["BRIEFBOT_DATA"], feedStateName)); err == nil {
		t.Fatal("a replica wrote feeds.json in cluster mode")
	}
	c, baseC, _ := launchServe(t, map[string]string{"BRIEFBOT_DATABASE_URL": db.URL})
	ccWaitLoaded(t, c, 30*time.Second)
	ccWaitVersion(t, c, 1, 5*time.Second)
	if !strings.Contains(ccAsk(t, baseC, clusterQuestion), "412 cables") {
		t.Fatal("replica C does not answer from replica A's feed item")
	}
}
