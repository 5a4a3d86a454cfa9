package cluster_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/briefbot/briefbot/cluster"
	"github.com/briefbot/briefbot/cluster/pgdb/pgdbtest"
)

// BenchmarkDeliveryClaimDone is the database work of answering one
// delivery in a cluster: the claim (one INSERT ... ON CONFLICT) and the
// done mark. -cpu 1,8 runs it from 1 and 8 goroutines.
func BenchmarkDeliveryClaimDone(b *testing.B) {
	db := pgdbtest.New(b)
	node := cluster.NewNode(db.Pool, cluster.Options{ID: "bench"})
	if err := node.Step(context.Background()); err != nil {
		b.Fatal(err)
	}
	d := cluster.NewDeliveries(db.Pool, node, time.Hour, 0)
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := "slack:event:E" + strconv.FormatInt(n.Add(1), 10)
			if ok, err := d.Claim(key, nil); !ok || err != nil {
				b.Fatal(ok, err)
			}
			if err := d.Done(key); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDuplicateClaim is a duplicate refused (the key is done).
func BenchmarkDuplicateClaim(b *testing.B) {
	db := pgdbtest.New(b)
	node := cluster.NewNode(db.Pool, cluster.Options{ID: "bench"})
	if err := node.Step(context.Background()); err != nil {
		b.Fatal(err)
	}
	d := cluster.NewDeliveries(db.Pool, node, time.Hour, 0)
	if err := d.Done("k"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if ok, err := d.Claim("k", nil); ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
