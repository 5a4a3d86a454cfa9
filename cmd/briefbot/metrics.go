package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/cluster"
)

// metrics implements bot.Observer with Prometheus collectors.
type metrics struct {
	reg          *prometheus.Registry
	questions    *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	deduplicated *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	rateWait     *prometheus.CounterVec
	failed       *prometheus.CounterVec
	dropped      *prometheus.CounterVec
	panics       prometheus.Counter
	// Feed follower (feeds.go).
	feedPolls, feedNotModified, feedErrors, feedItems prometheus.Counter
}

var (
	_ bot.Observer     = (*metrics)(nil)
	_ bot.DropObserver = (*metrics)(nil)
)

// newMetrics registers briefbot's collectors; stats reports the store size.
func newMetrics(stats func() (articles, chunks int)) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		questions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_questions_total", Help: "Questions answered, by platform and outcome (answered, not_found, error).",
		}, []string{"platform", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "briefbot_answer_latency_seconds", Help: "Time to answer a question.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"platform"}),
		deduplicated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_deduplicated_deliveries_total", Help: "Deliveries dropped as duplicates (retries, redeliveries, mention twins).",
		}, []string{"platform"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_rate_limit_waits_total", Help: "Waits imposed by a platform's rate limit (429).",
		}, []string{"platform"}),
		rateWait: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_rate_limit_wait_seconds_total", Help: "Seconds spent waiting out rate limits.",
		}, []string{"platform"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_delivery_failures_total", Help: "Messages that could not be delivered after retries.",
		}, []string{"platform"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "briefbot_dropped_answers_total",
			Help: "Answers accepted but not delivered because shutdown's budget ran out (each logged; Slack's are answered by the next start).",
		}, []string{"platform"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "briefbot_handler_panics_total", Help: "Panics recovered in HTTP handlers (answered 500, logged).",
		}),
	}
	m.feedPolls = prometheus.NewCounter(prometheus.CounterOpts{Name: "briefbot_feed_polls_total", Help: "Feed fetches (conditional GETs) made by the follower."})
	m.feedNotModified = prometheus.NewCounter(prometheus.CounterOpts{Name: "briefbot_feed_not_modified_total", Help: "Feed polls answered 304 Not Modified."})
	m.feedErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "briefbot_feed_errors_total", Help: "Feed polls that failed (fetch, size limit, broken feed, save), each logged."})
	m.feedItems = prometheus.NewCounter(prometheus.CounterOpts{Name: "briefbot_feed_items_added_total", Help: "Feed items added to the store as new articles."})
	m.reg.MustRegister(m.feedPolls, m.feedNotModified, m.feedErrors, m.feedItems)
	m.reg.MustRegister(m.questions, m.latency, m.deduplicated, m.rateLimited, m.rateWait, m.failed, m.dropped, m.panics,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Start every platform's series at zero so dashboards and alerts see them.
	for _, p := range bot.ChatPlatforms {
		m.deduplicated.WithLabelValues(p)
		m.rateLimited.WithLabelValues(p)
		m.rateWait.WithLabelValues(p)
		m.failed.WithLabelValues(p)
		m.dropped.WithLabelValues(p)
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "briefbot_store_articles", Help: "Articles in the store.",
	}, func() float64 { a, _ := stats(); return float64(a) }))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "briefbot_store_chunks", Help: "Chunks in the store.",
	}, func() float64 { _, c := stats(); return float64(c) }))
	return m
}

func (m *metrics) Question(platform, outcome string, latency time.Duration) {
	m.questions.WithLabelValues(platform, outcome).Inc()
	m.latency.WithLabelValues(platform).Observe(latency.Seconds())
}

func (m *metrics) Deduplicated(platform string) { m.deduplicated.WithLabelValues(platform).Inc() }

func (m *metrics) RateLimited(platform string, wait time.Duration) {
	m.rateLimited.WithLabelValues(platform).Inc()
	m.rateWait.WithLabelValues(platform).Add(wait.Seconds())
}

func (m *metrics) DeliveryFailed(platform string) { m.failed.WithLabelValues(platform).Inc() }

func (m *metrics) AnswerDropped(platform string) { m.dropped.WithLabelValues(platform).Inc() }

// watchDedupe exports d's write failures (a full disk) as
// briefbot_dedupe_write_failures_total.
func (m *metrics) watchDedupe(d *bot.Deduper) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "briefbot_dedupe_write_failures_total",
		Help: "Appends to and rewrites of dedupe.jsonl that failed (the deliveries stay deduplicated in memory).",
	}, func() float64 { return float64(d.WriteFailures()) }))
}

// Feed follower counters; a nil *metrics (tests of the follower alone)
// counts nothing.
func (m *metrics) feedPolled() {
	if m != nil {
		m.feedPolls.Inc()
	}
}

func (m *metrics) feedNotModified304() {
	if m != nil {
		m.feedNotModified.Inc()
	}
}

func (m *metrics) feedFailed() {
	if m != nil {
		m.feedErrors.Inc()
	}
}

func (m *metrics) feedItemsAdded(n int) {
	if m != nil {
		m.feedItems.Add(float64(n))
	}
}

// watchCluster exports the cluster's claim conflicts (deliveries
// suppressed because another replica claimed or answered them), lease
// changes, leadership and database reachability.
func (m *metrics) watchCluster(n *cluster.Node, d *cluster.Deliveries) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "briefbot_claim_conflicts_total",
		Help: "Delivery claims refused because another replica held or had answered them (duplicates suppressed across replicas).",
	}, func() float64 { return float64(d.Conflicts()) }))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "briefbot_lease_changes_total", Help: "Times this replica gained or lost the leader lease.",
	}, func() float64 { return float64(n.LeaseChanges()) }))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "briefbot_leader", Help: "1 while this replica holds the leader lease (runs digests and scheduled work).",
	}, func() float64 { return b2f(n.IsLeader()) }))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "briefbot_database_up", Help: "1 while the last heartbeat reached the database.",
	}, func() float64 { return b2f(n.Healthy() == nil) }))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
