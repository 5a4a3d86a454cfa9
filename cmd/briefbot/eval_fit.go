package main

import (
	"encoding/gob"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/evaluate"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

func (a *app) evalFitCmd() *cobra.Command {
	var corpus, queries, out string
	var sets []string
	var l2 float64
	var iters int
	var method, cache string
	var refusal bool
	var refusalSkip []string
	var negatives string
	var fixed []string
	var atOne float64
	cmd := &cobra.Command{
		Use:   "fit --corpus F --queries F --out model.json",
		Short: "Fit the quote scorer's weights on training questions",
		Long: `Index a JSONL corpus in memory, ask every training question as of its date, label each
candidate sentence by whether it holds the question's answer (normalised, as whole words),
and fit the quote scorer's feature weights: a softmax over each question's candidates,
maximising the mass on the sentences that hold the answer (ridge-penalised, full-batch
Adam, deterministic). Writes the engine's parameters with the fitted weights to --out;
retrieval/engine/model.json is the shipped file. Reads qid, date, question and answer.

Fit on training data only (../shared/train/realtimeqa-2023); choose between candidate
models with 'briefbot eval retrieval' on the dev split.`,
		Example: `  T=../shared/train/realtimeqa-2023
  briefbot eval fit --corpus $T/corpus.jsonl --queries $T/queries.train.jsonl --out retrieval/engine/model.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if corpus == "" || queries == "" || out == "" {
				return exitError{code: 2, msg: "eval fit needs --corpus, --queries and --out"}
			}
			negKinds, err := parseNegatives(negatives)
			if err != nil {
				return exitError{code: 2, msg: err.Error()}
			}
			ctx := cmd.Context()
			params := engine.DefaultParams()
			for _, kv := range sets {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return exitError{code: 2, msg: "--set takes key=value, got " + kv}
				}
				if err := params.Set(k, v); err != nil {
					return exitError{code: 2, msg: err.Error()}
				}
			}
			var groups []engine.FitGroup
			withPos := 0
			if refusal && cache != "" {
				if f, err := os.Open(cache); err == nil {
					var set refusalSet
					err = gob.NewDecoder(f).Decode(&set)
					f.Close()
					if err != nil {
						return fmt.Errorf("read %s: %w", cache, err)
					}
					return writeRefusal(a, params, set, negKinds, refusalSkip, out, time.Now())
				}
			}
			if !refusal && cache != "" {
				if f, err := os.Open(cache); err == nil {
					err = gob.NewDecoder(f).Decode(&groups)
					f.Close()
					if err != nil {
						return fmt.Errorf("read %s: %w", cache, err)
					}
					for _, g := range groups {
						if slices.Contains(g.Pos, true) {
							withPos++
						}
					}
					return fitAndWrite(a, params, groups, withPos, method, l2, iters, fixed, atOne, out, time.Now())
				}
			}
			emb, err := a.embedder()
			if err != nil {
				return err
			}
			start := time.Now()
			e, err := engine.NewMemory(ctx, engine.Options{Embedder: emb, Params: params})
			if err != nil {
				return err
			}
			var arts []retrieval.Article
			if _, err := ingest.ReadFile(ctx, corpus, func(art retrieval.Article) error {
				arts = append(arts, art)
				return nil
			}); err != nil {
				return fmt.Errorf("read corpus %s: %w", corpus, err)
			}
			if _, err := e.Ingest(ctx, arts); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "indexed %d articles in %.1fs\n", len(arts), time.Since(start).Seconds())
			qs, err := readEvalQueries(queries)
			if err != nil {
				return err
			}
			ans, err := readAnswers(queries)
			if err != nil {
				return err
			}
			if refusal {
				set, err := refusalExamples(cmd, e, qs, ans, negKinds)
				if err != nil {
					return err
				}
				if cache != "" {
					if err := writeGob(cache, set); err != nil {
						return err
					}
				}
				return writeRefusal(a, params, set, negKinds, refusalSkip, out, start)
			}
			for _, q := range qs {
				gold := ans[q.QID]
				if gold == "" {
					continue
				}
				asOf, _ := ingest.ParseDate(q.Date)
				cands, err := e.Candidates(ctx, retrieval.Query{Text: q.Question, AsOf: asOf})
				if err != nil {
					return fmt.Errorf("query %s: %w", q.QID, err)
				}
				g := engine.FitGroup{}
				has := false
				for _, c := range cands {
					pos := evaluate.AnswerInQuotes(gold, []string{c.Text}, 1)
					has = has || pos
					g.X = append(g.X, c.Features)
					g.Pos = append(g.Pos, pos)
					g.Art = append(g.Art, c.Rank)
				}
				if has {
					withPos++
				}
				groups = append(groups, g)
			}
			fmt.Fprintf(a.stderr, "%d questions, %d with a candidate sentence that holds the answer\n", len(groups), withPos)
			if cache != "" {
				f, err := os.Create(cache)
				if err != nil {
					return err
				}
				if err := gob.NewEncoder(f).Encode(groups); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
			}
			return fitAndWrite(a, params, groups, withPos, method, l2, iters, fixed, atOne, out, start)
		},
	}
	cmd.Flags().StringVar(&corpus, "corpus", "", "corpus JSONL")
	cmd.Flags().StringVar(&queries, "queries", "", "training queries JSONL (qid, date, question, answer)")
	cmd.Flags().StringVar(&out, "out", "", "where to write the fitted parameters (JSON)")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "change a parameter before fitting: key=value (repeatable)")
	cmd.Flags().StringVar(&cache, "cache", "", "keep the labelled candidates in this file and reuse them when it exists (same code and parameters only)")
	cmd.Flags().Float64Var(&l2, "l2", 1e-3, "ridge penalty")
	cmd.Flags().IntVar(&iters, "iterations", 400, "full-batch optimisation steps")
	cmd.Flags().StringSliceVar(&fixed, "fixed", []string{"doc", "rank", "title"}, "feature weights ascent keeps (article-level ones: the training corpus holds only each question's search results, so its article ranking is easier than a real archive's)")
	cmd.Flags().BoolVar(&refusal, "refusal", false, "fit the refusal model (keeps the sentence weights): the chance the quotes answer, labelled by whether the answer is in quotes 1-3")
	cmd.Flags().StringSliceVar(&refusalSkip, "refusal-skip", []string{"bm25", "vector", "score"}, "refusal features kept at zero (their scale depends on the archive's size: a model fitted on 7,580 articles must also judge five)")
	cmd.Flags().StringVar(&negatives, "negatives", "none", "with --refusal: none, or a comma-separated list of drop-answer (each training question asked a second time of the archive without the articles that hold its answer, a question it cannot answer with near-topic distractors, added as a negative) and swap-word (each training question with its rarest word that is not a name swapped for another question's, a fact about the same names the archive does not give, added as a negative when its quotes lack the original answer)")
	cmd.Flags().Float64Var(&atOne, "at-one", 0.5, "ascent: the weight of answer-in-quote@1 against @3 in the objective")
	cmd.Flags().StringVar(&method, "method", "ascent", "ascent (coordinate ascent on answer-in-quote@3 + .5 @1) or softmax (listwise likelihood)")
	return cmd
}

// fitAndWrite fits the weights on the labelled groups and writes params with them.
func fitAndWrite(a *app, params *engine.Params, groups []engine.FitGroup, withPos int, method string, l2 float64, iters int, fixed []string, atOne float64, out string, start time.Time) error {
	var w map[string]float64
	var loss float64
	switch method {
	case "softmax":
		w, loss = engine.Fit(groups, engine.FitOptions{L2: l2, Iterations: iters, Start: params.Weights})
	case "ascent":
		init := map[string]float64{}
		for k, v := range params.Weights {
			init[k] = v
		}
		at1, at3 := engine.Objective(groups, init, params.Policy())
		fmt.Fprintf(a.stderr, "start: objective %.4f (answer in quote 1 %.3f, in quotes 1-3 %.3f)\n", engine.AscentObjective(groups, init, params.Policy()), at1, at3)
		fix := map[string]bool{}
		for _, f := range fixed {
			fix[f] = true
		}
		w, loss = engine.FitAscent(groups, engine.AscentOptions{Start: init, Fixed: fix, Policy: params.Policy(), AtOne: atOne})
	default:
		return exitError{code: 2, msg: "--method is softmax or ascent"}
	}
	params.Weights = w
	b, err := params.MarshalIndent()
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "fitted %d weights on %d questions (loss %.4f) in %.1fs; wrote %s\n", len(w), withPos, loss, time.Since(start).Seconds(), out)
	for _, n := range engine.FeatureNames() {
		fmt.Fprintf(a.stdout, "  %-12s %8.4f\n", n, w[n])
	}
	return nil
}

// refusalSet is what the refusal model is fitted on: one example per
// training question (Y: the answer is in quotes 1-3) and, when negatives
// were built, one per question asked without its answering articles
// (Neg, Y false).
type refusalSet struct {
	X   [][]float64
	Y   []bool
	Neg []bool
	// Kind names how each negative was built (drop-answer, swap-word);
	// empty in caches written before there was more than one way.
	Kind []string
}

// negativeKinds are the ways --negatives builds refusal negatives.
var negativeKinds = []string{"drop-answer", "swap-word"}

// parseNegatives reads --negatives: none, or a comma-separated list of
// negativeKinds.
func parseNegatives(v string) (map[string]bool, error) {
	kinds := map[string]bool{}
	if v == "none" {
		return kinds, nil
	}
	for _, k := range strings.Split(v, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(negativeKinds, k) {
			return nil, fmt.Errorf("--negatives is none or a comma-separated list of %s, got %q", strings.Join(negativeKinds, ", "), v)
		}
		kinds[k] = true
	}
	return kinds, nil
}

// kind is how example i was built: "" for a training question as asked.
func (s *refusalSet) kind(i int) string {
	switch {
	case !s.Neg[i]:
		return ""
	case i < len(s.Kind) && s.Kind[i] != "":
		return s.Kind[i]
	}
	return "drop-answer"
}

func (s *refusalSet) add(x []float64, y bool, kind string) {
	s.X = append(s.X, x)
	s.Y = append(s.Y, y)
	s.Neg = append(s.Neg, kind != "")
	s.Kind = append(s.Kind, kind)
}

func writeGob(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(f).Encode(v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// refusalExamples asks every training question as of its date and, with
// the negatives asked for: drop-answer, a second time of the archive
// without the articles whose body holds its answer (normalised, as whole
// words), where what is left are the near-topic articles of its week and
// older ones and no quote can answer; swap-word, with its rarest word that
// is not a name swapped for another training question's ("Who won ..." ->
// "Who piloted ..."), a fact about the same names the archive does not
// give (left out when its quotes still hold the original answer).
func refusalExamples(cmd *cobra.Command, e *engine.Engine, qs []evalQuery, ans map[string]string, negatives map[string]bool) (refusalSet, error) {
	var set refusalSet
	norm := map[string]string{} // article id -> " normalised body "
	// Each question's key word, for swap-word.
	type keyWord struct{ start, end int }
	keys := make([]keyWord, len(qs))
	var withKey []int
	if negatives["swap-word"] {
		for i, q := range qs {
			if s, t, ok := e.KeyWord(q.Question); ok {
				keys[i] = keyWord{s, t}
				withKey = append(withKey, i)
			}
		}
	}
	for qi, q := range qs {
		gold := ans[q.QID]
		if gold == "" {
			continue
		}
		asOf, _ := ingest.ParseDate(q.Date)
		query := retrieval.Query{Text: q.Question, AsOf: asOf}
		x, quotes, err := e.RefusalExample(cmd.Context(), query)
		if err != nil {
			return set, fmt.Errorf("query %s: %w", q.QID, err)
		}
		if x != nil {
			set.add(x, evaluate.AnswerInQuotes(gold, quotes, 3), "")
		}
		a := " " + evaluate.Normalize(gold) + " "
		if negatives["drop-answer"] && strings.TrimSpace(a) != "" {
			hide := func(id, body string) bool {
				nb, ok := norm[id]
				if !ok {
					nb = " " + evaluate.Normalize(body) + " "
					norm[id] = nb
				}
				return strings.Contains(nb, a)
			}
			x, quotes, err = e.RefusalExampleHiding(cmd.Context(), query, hide)
			if err != nil {
				return set, fmt.Errorf("query %s: %w", q.QID, err)
			}
			if x != nil && !evaluate.AnswerInQuotes(gold, quotes, 3) {
				set.add(x, false, "drop-answer")
			}
		}
		if negatives["swap-word"] && keys[qi].end > 0 && len(withKey) > 1 {
			// Another question's key word, chosen by a fixed stride so the
			// set is the same on every run.
			k := keys[qi]
			o := withKey[(slices.Index(withKey, qi)*7+3)%len(withKey)]
			ok := keys[o]
			w := qs[o].Question[ok.start:ok.end]
			if strings.EqualFold(w, q.Question[k.start:k.end]) {
				continue
			}
			swapped := q.Question[:k.start] + strings.ToLower(w) + q.Question[k.end:]
			x, quotes, err = e.RefusalExample(cmd.Context(), retrieval.Query{Text: swapped, AsOf: asOf})
			if err != nil {
				return set, fmt.Errorf("query %s: %w", q.QID, err)
			}
			if x != nil && !evaluate.AnswerInQuotes(gold, quotes, 3) {
				set.add(x, false, "swap-word")
			}
		}
	}
	return set, nil
}

// writeRefusal fits the refusal model on set (its built negatives only
// when negatives is not "none") and writes params with it.
func writeRefusal(a *app, params *engine.Params, set refusalSet, negatives map[string]bool, skipList []string, out string, start time.Time) error {
	skip := map[string]bool{}
	for _, f := range skipList {
		skip[f] = true
	}
	var xs [][]float64
	var ys []bool
	pos, neg := 0, 0
	for i, x := range set.X {
		if k := set.kind(i); k != "" {
			if !negatives[k] {
				continue
			}
			neg++
		}
		if len(x) != len(engine.RefusalFeatureNames()) {
			return fmt.Errorf("the cache's examples have %d refusal features, the engine %d: build it again (delete it)", len(x), len(engine.RefusalFeatureNames()))
		}
		if set.Y[i] {
			pos++
		}
		xs = append(xs, x)
		ys = append(ys, set.Y[i])
	}
	w, loss := engine.FitLogistic(xs, ys, 1e-3, 2000, skip)
	params.RefusalWeights = w
	b, err := params.MarshalIndent()
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "fitted the refusal model on %d examples (%d answered right, %d negatives built; log loss %.4f) in %.1fs; wrote %s\n", len(xs), pos, neg, loss, time.Since(start).Seconds(), out)
	for _, n := range engine.RefusalFeatureNames() {
		fmt.Fprintf(a.stdout, "  %-12s %8.4f\n", n, w[n])
	}
	return nil
}
