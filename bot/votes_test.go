package bot

import (
	"context"
	"errors"
	"testing"
)

func TestVoteReplayCountsOnce(t *testing.T) {
	dir := t.TempDir()
	l, err := OpenVoteLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v := Vote{Platform: PlatformSlack, Question: "q", User: "U1", Vote: VoteUp,
		Key: VoteKey(PlatformSlack, "C1:1765000000.000100", "U1", VoteUp)}
	if err := l.Record(ctx, v); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the replays
		if err := l.Record(ctx, v); !errors.Is(err, ErrDuplicateVote) {
			t.Fatalf("replayed vote: err = %v, want ErrDuplicateVote", err)
		}
	}
	// Another user's vote and the same user's change of mind count.
	other := v
	other.User, other.Key = "U2", VoteKey(PlatformSlack, "C1:1765000000.000100", "U2", VoteUp)
	down := v
	down.Vote, down.Key = VoteDown, VoteKey(PlatformSlack, "C1:1765000000.000100", "U1", VoteDown)
	for _, x := range []Vote{other, down} {
		if err := l.Record(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	// A new process (a restart) still knows the recorded keys.
	l2, err := OpenVoteLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.Record(ctx, v); !errors.Is(err, ErrDuplicateVote) {
		t.Fatalf("replay after a restart: err = %v, want ErrDuplicateVote", err)
	}
	votes, err := l2.Votes()
	if err != nil {
		t.Fatal(err)
	}
	if len(votes) != 3 {
		t.Fatalf("%d votes recorded, want 3: %+v", len(votes), votes)
	}
}
